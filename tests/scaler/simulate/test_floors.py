"""Floor writes and reversals (`scaler.simulate.floors`), counted by hand on small arrays."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from forescale.scaler.simulate.floors import effective_min, floor_activity

MIN = timedelta(minutes=1)
NAN = np.nan


def test_every_change_is_a_write_and_every_change_of_direction_a_reversal() -> None:
    # 3 -> 4 up, 4 -> 3 down (reversal), 3 -> 5 up (reversal), 5 -> 6 up, 6 -> 2 down (reversal)
    floors = np.array([3, 3, 4, 3, 3, 5, 6, 6, 2, 2], dtype=float)
    activity = floor_activity(floors, step=MIN, min_replicas=1)
    assert activity.writes == 5
    assert activity.reversals == 3
    assert activity.writes_per_hour == pytest.approx(5 / (10 / 60))  # 10 minutes = 1/6 h
    assert activity.reversals_per_hour == pytest.approx(18.0)


def test_a_released_floor_counts_as_the_hpa_min_so_releasing_onto_the_same_value_is_no_write() -> (
    None
):
    floors = np.array([2, NAN, NAN, 4, NAN, 2])
    assert effective_min(floors, min_replicas=2).tolist() == [2, 2, 2, 4, 2, 2]
    # 2 -> 2 (released onto min 2: nothing), 2 -> 4 up, 4 -> 2 (released) down
    activity = floor_activity(floors, step=MIN, min_replicas=2)
    assert (activity.writes, activity.reversals) == (2, 1)
    # With an HPA min of 1 the release at step 1 is a write down, then up, down, up.
    activity = floor_activity(floors, step=MIN, min_replicas=1)
    assert (activity.writes, activity.reversals) == (4, 3)


def test_rates_are_per_hour_of_the_whole_span() -> None:
    floors = np.array([1.0, 2.0] * 12)  # 24 steps of 5 minutes = 2 h; 23 writes, 22 reversals
    activity = floor_activity(floors, step=timedelta(minutes=5), min_replicas=1)
    assert activity.writes_per_hour == pytest.approx(11.5)
    assert activity.reversals_per_hour == pytest.approx(11.0)


def test_a_still_floor_or_an_empty_replay_has_no_activity() -> None:
    for floors in (np.array([5.0] * 4), np.array([NAN] * 3), np.array([])):
        activity = floor_activity(floors, step=MIN, min_replicas=1)
        assert (activity.writes, activity.reversals, activity.writes_per_hour) == (0, 0, 0.0)
    with pytest.raises(ValueError, match="step must be positive"):
        floor_activity(np.array([1.0]), step=timedelta(0), min_replicas=1)
