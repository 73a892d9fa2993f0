"""The HPA frontier's two ratios, on small frontiers worked out by hand."""

from __future__ import annotations

import pytest

from forescale.scaler.simulate.frontier import (
    SWEEP,
    FrontierPoint,
    equal_cost_ratio,
    equal_service_ratio,
)
from forescale.scaler.simulate.workload import Figures


def _fig(replica_hours: float, unserved: float) -> Figures:
    return Figures(
        under_provisioned_pct=0, unserved_load_pct=unserved, replica_hours=replica_hours,
        scale_events=0,
    )  # fmt: skip


def _pt(u: float, replica_hours: float, unserved: float) -> FrontierPoint:
    return FrontierPoint(target_utilization=u, figures=_fig(replica_hours, unserved))


# (cost, unserved %): (100, 4.0) (150, 2.0) (200, 1.0)
FRONTIER = [_pt(0.9, 100, 4.0), _pt(0.7, 150, 2.0), _pt(0.5, 200, 1.0)]


def _service(
    points: list[FrontierPoint], replica_hours: float, unserved: float
) -> tuple[float, float, bool]:
    """(reference replica-hours, ratio rounded to 1e-9, inside)."""
    result = equal_service_ratio(points, _fig(replica_hours, unserved))
    return result.reference_replica_hours, round(result.ratio, 9), result.inside


def test_the_sweep_is_the_14_target_utilisations_of_the_evaluation() -> None:
    assert SWEEP == (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def test_equal_service_interpolates_the_cost_where_the_frontier_crosses_the_unserved_load() -> None:
    # 3 % lies between 4 % (100 rh) and 2 % (150 rh), halfway: 125 rh. 120 / 125 = 0.96.
    result = equal_service_ratio(FRONTIER, _fig(120, 3.0))
    assert result.reference_replica_hours == pytest.approx(125.0)
    assert result.ratio == pytest.approx(0.96) and result.inside
    # 1.5 % lies halfway between 2 % (150) and 1 % (200): 175 rh; 140 / 175 = 0.8.
    assert equal_service_ratio(FRONTIER, _fig(140, 1.5)).ratio == pytest.approx(0.8)
    # exactly on a point: 2 % -> 150 rh
    assert equal_service_ratio(FRONTIER, _fig(150, 2.0)).reference_replica_hours == 150


def test_points_are_taken_in_cost_order_whatever_order_they_come_in() -> None:
    shuffled = [FRONTIER[2], FRONTIER[0], FRONTIER[1]]
    assert equal_service_ratio(shuffled, _fig(120, 3.0)).reference_replica_hours == 125


def test_a_frontier_that_serves_less_at_a_higher_cost_is_made_monotone() -> None:
    # (100, 4) (120, 4.5 -> 4 after the monotone fix) (150, 2): 3 % is crossed between 120 and
    # 150, halfway in unserved (4 -> 2): 135 rh.
    noisy = [_pt(0.9, 100, 4.0), _pt(0.8, 120, 4.5), _pt(0.7, 150, 2.0)]
    assert equal_service_ratio(noisy, _fig(100, 3.0)).reference_replica_hours == 135


def test_serving_more_than_any_point_compares_with_the_cheapest_best_point_and_says_so() -> None:
    # 0.5 % is below the frontier's best, 1 % at 200 rh: reference 200; 210 / 200 = 1.05.
    assert _service(FRONTIER, 210, 0.5) == (200, 1.05, False)
    # a plateau at its best: 1 % from 150 rh on; the cheapest point serving as much is 150.
    plateau = [_pt(0.9, 100, 4.0), _pt(0.7, 150, 1.0), _pt(0.5, 200, 1.0)]
    assert _service(plateau, 180, 0.5) == (150, 1.2, False)


def test_serving_less_than_the_cheapest_point_compares_with_it_and_says_so() -> None:
    # 5 % is above the cheapest point's 4 %: reference 100 (a cheaper setting might exist)
    assert _service(FRONTIER, 90, 5.0) == (100, 0.9, False)


def test_when_everything_is_served_the_cheapest_zero_unserved_point_is_the_reference() -> None:
    # the HPA serves everything at every setting, Forescale too: 90 / 80 = 1.125, not 90 / 200
    flat = [_pt(0.95, 80, 0.0), _pt(0.9, 100, 0.0), _pt(0.5, 200, 0.0)]
    assert _service(flat, 90, 0.0) == (80, 1.125, True)
    # zero reached only from 150 rh: Forescale at zero unserved compares with 150
    late = [_pt(0.9, 100, 0.4), _pt(0.7, 150, 0.0), _pt(0.5, 200, 0.0)]
    assert _service(late, 120, 0.0) == (150, 0.8, True)


def test_equal_cost_is_undefined_where_the_frontier_leaves_a_negligible_share() -> None:
    # at 175 rh the frontier leaves 1.5 %: 0.75 / 1.5 = 0.5
    assert equal_cost_ratio(FRONTIER, _fig(175, 0.75)).ratio == pytest.approx(0.5)
    # (100, 0.5) (200, 0.0): at 190 rh the frontier leaves 0.05 %: 0.01 / 0.05 = 0.2
    low = [_pt(0.9, 100, 0.5), _pt(0.5, 200, 0.0)]
    assert equal_cost_ratio(low, _fig(190, 0.01)).ratio == pytest.approx(0.2)
    # at 199 rh it leaves 0.005 % < 0.01 %: only cost speaks
    assert equal_cost_ratio(low, _fig(199, 0.0)).ratio is None
    assert equal_cost_ratio(low, _fig(199, 0.3)).ratio is None
