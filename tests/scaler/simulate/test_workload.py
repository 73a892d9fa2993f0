"""The replay's workload semantics, checked by hand on small cases."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from forescale.scaler.simulate.frontier import FrontierPoint, equal_cost_ratio, interpolate_unserved
from forescale.scaler.simulate.workload import (
    Figures,
    oracle_requested,
    ready_replicas,
    score,
    startup_steps,
)

MIN = timedelta(minutes=1)


def test_replicas_are_ready_after_startup_and_a_scale_down_is_immediate() -> None:
    requested = np.array([1, 4, 4, 4, 2, 5, 5])
    assert ready_replicas(requested, 2).tolist() == [1, 1, 1, 4, 2, 2, 2]
    assert ready_replicas(requested, 0).tolist() == requested.tolist()


def test_startup_is_counted_in_whole_steps_and_at_least_one_when_positive() -> None:
    assert startup_steps(timedelta(minutes=5), MIN) == 5
    assert startup_steps(timedelta(minutes=5), timedelta(minutes=30)) == 1
    assert startup_steps(timedelta(seconds=90), MIN) == 2
    assert startup_steps(timedelta(0), MIN) == 0


def test_figures_follow_their_definitions_and_skip_gaps() -> None:
    load = np.array([10.0, 30.0, np.nan, 30.0])
    requested = np.array([2, 2, 3, 3])
    f = score(load=load, requested=requested, capacity=10.0, startup=1, step=MIN)
    # ready = [2, 2, 2, 3] -> served 10, 20, -, 30 of 10, 30, -, 30
    assert f.unserved_load_pct == pytest.approx(100 * 10 / 70)
    assert f.under_provisioned_pct == pytest.approx(100 / 3)
    assert f.replica_hours == pytest.approx(10 / 60)
    assert f.scale_events == 1


def test_the_oracle_serves_all_load_with_the_fewest_replicas_that_can() -> None:
    rng = np.random.default_rng(3)
    load = rng.uniform(0, 100, 500)
    load[50:60] = np.nan
    req = oracle_requested(load=load, capacity=7.0, startup=5)
    f = score(load=load, requested=req, capacity=7.0, startup=5, step=MIN)
    assert f.unserved_load_pct == 0.0
    # minimal: one replica fewer at any step (above the minimum of 1) leaves load unserved
    for t in range(0, len(req), 7):
        if req[t] > 1:
            fewer = req.copy()
            fewer[t] -= 1
            worse = score(load=load, requested=fewer, capacity=7.0, startup=5, step=MIN)
            assert worse.unserved_load_pct > 0, t


def _pt(u: float, rh: float, uns: float) -> FrontierPoint:
    return FrontierPoint(
        target_utilization=u,
        figures=Figures(
            under_provisioned_pct=0, unserved_load_pct=uns, replica_hours=rh, scale_events=0
        ),
    )


def test_equal_cost_ratio_interpolates_the_reactive_frontier_at_the_same_cost() -> None:
    pts = [_pt(0.9, 100, 4.0), _pt(0.7, 150, 2.0), _pt(0.5, 200, 1.0)]
    assert interpolate_unserved(pts, 175) == (1.5, True)
    pred = Figures(
        under_provisioned_pct=0, unserved_load_pct=0.75, replica_hours=175, scale_events=0
    )
    result = equal_cost_ratio(pts, pred)
    assert result.ratio == 0.5 and result.inside
    outside = equal_cost_ratio(
        pts,
        Figures(under_provisioned_pct=0, unserved_load_pct=0.5, replica_hours=400, scale_events=0),
    )
    assert not outside.inside and outside.ratio == 0.5
