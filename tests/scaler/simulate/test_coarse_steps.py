"""Issue 18: the count that represents a trace step is the one the HPA holds for most of it.

Every expected array below is worked out by hand from the HPA port's default behavior
(autoscaling/v2): syncs every 15 s at the step's start + 0, 15, 30 ... s; scale-up not stabilised,
at most max(+100 %, +4 pods) per 15 s; scale-down stabilised over 300 s (a recommendation made
exactly 300 s ago no longer counts), then at most -100 % per 15 s; tolerance 0.1.

Policy: capacity 10 per replica at target utilisation 1.0, so the HPA wants ``ceil(load / 10)``
replicas (load 100 -> 10, 20 -> 2). It starts at 1 replica, so the first step scales 1 -> 5
(+4 pods beats +100 %) at its first sync and 5 -> 10 (+100 %) at the second: 5 is held 15 s, 10
the rest of the step, and the step records 10.

When a step's load stays put after the HPA settled, `Hpa.hold` skips the step's remaining syncs
and records the recommendation once, at the step's last sync time (start + step - 15 s). That
is the time the 300 s window counts from at the next drop: a drop at a step starting at ``S``
scales down at ``S - 15 + 300 = S + 285`` s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forescale.scaler.actuators.memory import MemoryActuator
from forescale.scaler.domain import HpaRef, ScalingPolicy
from forescale.scaler.simulate.cluster import SimulatedCluster, SimulatedWorkload
from forescale.scaler.simulate.hpa_steps import HpaRunner, most_held, replay_reactive

POLICY = ScalingPolicy(
    capacity_per_replica=10.0, target_utilization=1.0, min_replicas=1, max_replicas=100
)
T0 = datetime(2026, 1, 5, tzinfo=UTC)
MINUTE, FIVE, HOUR = timedelta(minutes=1), timedelta(minutes=5), timedelta(hours=1)


def _replay(loads: list[float], step: timedelta) -> tuple[list[int], list[int]]:
    """(count representing each step, count after each step's last sync)."""
    index = pd.date_range(T0, periods=len(loads), freq=step)
    runner = HpaRunner(POLICY, index)
    held, last = [], []
    for t, load in enumerate(loads):
        held.append(runner.step(t, load, floor=None))
        last.append(runner.current)
    assert replay_reactive(np.asarray(loads), index, POLICY).tolist() == held
    return held, last


def test_most_held_weighs_by_time_and_breaks_a_tie_towards_the_higher_count() -> None:
    assert most_held([(10, 285.0), (2, 15.0)]) == 10
    assert most_held([(10, 285.0), (2, 3315.0)]) == 2
    assert most_held([(4, 15.0), (6, 15.0), (4, 15.0), (5, 15.0)]) == 4  # 30 s of 60
    assert most_held([(8, 30.0), (6, 30.0)]) == 8
    with pytest.raises(ValueError):
        most_held([])


# --- 5-minute steps: 20 syncs a step, at S + 0, 15, ..., 285 s --------------------------------


def test_a_drop_on_a_5_minute_step_shows_from_the_next_step() -> None:
    held, last = _replay([100, 100, 20, 20, 20], FIVE)
    # step 0 (0-300 s): 1 -> 5 at 0 s, 5 -> 10 at 15 s: 10 held 285 s -> 10.
    # step 1 (300-600 s): 10 settled; hold records 10 at 585 s.
    # step 2 (600-900 s): the HPA wants 2, but 10 (at 585 s) stays in the window while
    #   585 > now - 300, i.e. until now = 885 s = S + 285: 10 is held 285 s, 2 for 15 s -> 10.
    # step 3, 4: 2 all the way.
    assert held == [10, 10, 10, 2, 2]
    # the simulation continues from the count after the last sync: already 2 after step 2
    assert last == [10, 10, 2, 2, 2]


def test_a_spike_on_a_5_minute_step_shows_in_the_same_step() -> None:
    held, last = _replay([20, 20, 100, 20, 20, 20], FIVE)
    # step 0: 1 -> 2 at once (within +4 pods); step 1: 2, hold records 2 at 585 s.
    # step 2 (600-900 s): 2 -> 6 at 600 s (+4 pods beats +100 %), 6 -> 10 at 615 s (+100 %
    #   of 6 = 12 allowed): 6 held 15 s, 10 held 270 s -> 10, in the spike's own step.
    #   10 settles; hold records 10 at 885 s.
    # step 3 (900-1200 s): wants 2; 10 (885 s) leaves the window at 1185 s = S + 285 -> 10.
    # step 4, 5: 2.
    assert held == [2, 2, 10, 10, 2, 2]
    assert last == [2, 2, 10, 2, 2, 2]


def test_a_ramp_on_5_minute_steps_rises_at_once_and_falls_a_step_late() -> None:
    held, last = _replay([20, 40, 60, 80, 60, 40], FIVE)
    # up: 2, then 2 -> 4, 4 -> 6, 6 -> 8, each at the step's first sync (+4 pods / +100 %
    #   allow it) -> [2, 4, 6, 8]; hold records 8 at 3 x 300 + 285 = 1185 s.
    # step 4 (1200-1500 s): wants 6; 8 (1185 s) leaves the window at 1485 s: 8 held 285 s -> 8.
    #   No hold this step (the proposal 6 differs from the count 8), so 6 is recorded at every
    #   sync, the last at 1485 s.
    # step 5 (1500-1800 s): wants 4; the highest in the window is 6 until 1485 s leaves it at
    #   1785 s = S + 285: 6 held 285 s -> 6.
    assert held == [2, 4, 6, 8, 8, 6]
    assert last == [2, 4, 6, 8, 6, 4]


# --- 1-minute steps: 4 syncs a step, at S + 0, 15, 30, 45 s -----------------------------------


def test_a_drop_on_1_minute_steps_is_held_for_the_stabilisation_window() -> None:
    held, last = _replay([100, 100, 100] + [20] * 7, MINUTE)
    # step 0: 5 held 15 s, 10 held 45 s -> 10; steps 1-2: 10, hold records 10 at 165 s.
    # steps 3-7 (from 180 s): the HPA wants 2; 10 (165 s) leaves the window at 465 s, the last
    #   sync of step 7 (420 + 45): step 7 holds 10 for 45 s, 2 for 15 s -> 10.
    # steps 8-9: 2.
    assert held == [10] * 8 + [2, 2]
    assert last == [10] * 7 + [2, 2, 2]


def test_a_spike_on_1_minute_steps_shows_in_its_own_minute() -> None:
    held, last = _replay([20, 20, 100] + [20] * 7, MINUTE)
    # step 2 (120-180 s): 2 -> 6 at 120 s, 6 -> 10 at 135 s: 6 for 15 s, 10 for 45 s -> 10;
    #   hold records 10 at 165 s, so 10 lasts to 465 s (step 7's last sync) as above.
    assert held == [2, 2] + [10] * 6 + [2, 2]
    assert last == [2, 2] + [10] * 5 + [2, 2, 2]


def test_a_falling_ramp_on_1_minute_steps_steps_down_a_minute_later() -> None:
    held, last = _replay([80, 60, 40] + [20] * 7, MINUTE)
    # step 0: 1 -> 5 at 0 s, 5 -> 8 at 15 s: 5 for 15 s, 8 for 45 s -> 8; hold records 8 at 45 s.
    # steps 1, 2, 3+: wants 6, 4, 2, never settled (no hold), so every sync records: 6 at
    #   60-105 s, 4 at 120-165 s, 2 from 180 s.
    # 8 (45 s) leaves the window at 345 s (step 5's last sync, 300 + 45): 8 -> 6.
    #   The window then holds 6 until 105 s leaves it at 405 s (step 6, 360 + 45): 6 -> 4.
    #   4 until 165 s leaves it at 465 s (step 7, 420 + 45): 4 -> 2.
    # Each change falls on a step's last sync: the step holds the higher count 45 s of 60.
    assert held == [8, 8, 8, 8, 8, 8, 6, 4, 2, 2]
    assert last == [8, 8, 8, 8, 8, 6, 4, 2, 2, 2]


# --- hourly steps: 240 syncs a step, at S + 0, 15, ..., 3585 s --------------------------------


def test_a_drop_on_an_hourly_step_already_shows_in_that_step() -> None:
    held, last = _replay([100, 100, 20, 20], HOUR)
    # step 0: 5 for 15 s, 10 for 3,585 s -> 10; step 1: 10, hold records 10 at 7,185 s.
    # step 2 (7,200 s): wants 2; 10 leaves the window at 7,485 s = S + 285: 10 held 285 s,
    #   2 held 3,315 s -> 2. A drop at an hour's start is held only 5 minutes of 60.
    assert held == [10, 10, 2, 2]
    assert last == [10, 10, 2, 2]


def test_a_spike_and_a_ramp_on_hourly_steps() -> None:
    held, _ = _replay([20, 100, 20, 20], HOUR)
    # step 1: 2 -> 6 -> 10 within 15 s -> 10; step 2: 10 for 285 s, then 2 -> 2.
    assert held == [2, 10, 2, 2]
    held, _ = _replay([20, 40, 60, 80, 60, 40], HOUR)
    # up at each step's first sync; down 285 s into each falling step, so it shows at once.
    assert held == [2, 4, 6, 8, 6, 4]


# --- the fast path and the cluster twin follow the same rule ----------------------------------

loads = st.one_of(st.just(float("nan")), st.floats(min_value=0, max_value=300, allow_nan=False))
floors = st.one_of(st.none(), st.integers(min_value=1, max_value=35))


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(loads, floors), min_size=1, max_size=30),
    step=st.sampled_from([MINUTE, FIVE, HOUR]),
)
def test_skipping_fixed_point_syncs_changes_no_recorded_count(
    steps: list[tuple[float, int | None]], step: timedelta
) -> None:
    index = pd.date_range(T0, periods=len(steps), freq=step)
    fast, full = HpaRunner(POLICY, index), HpaRunner(POLICY, index, skip_fixed_points=False)
    for t, (load, floor) in enumerate(steps):
        assert fast.step(t, load, floor=floor) == full.step(t, load, floor=floor), t
        assert fast.current == full.current


def test_the_simulated_cluster_reports_the_count_held_for_most_of_each_minute() -> None:
    loads = [20.0, 20.0, 100.0] + [20.0] * 7  # the 1-minute spike above
    trace = pd.Series(loads, index=pd.date_range(T0, periods=len(loads), freq=MINUTE))
    ref = HpaRef(namespace="demo", name="web")
    cluster = SimulatedCluster(MemoryActuator())
    cluster.add(
        SimulatedWorkload(ref=ref, load=trace, capacity=10.0, target_utilization=1.0, startup=FIVE),
        min_replicas=1,
        max_replicas=100,
    )
    cluster.advance(T0)  # the first sync, at the trace's start
    for t in range(len(loads)):
        cluster.advance(T0 + t * MINUTE + timedelta(seconds=45))  # up to the minute's last
    series = cluster.requested_series(str(ref), step=MINUTE)
    # Syncing every 15 s with no shortcut gives the replay's answer exactly.
    assert series.tolist() == [2, 2] + [10] * 6 + [2, 2]
