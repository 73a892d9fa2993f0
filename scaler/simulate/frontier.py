"""The HPA frontier and the two ratios a policy is judged by (``../shared/docs/evaluation.md``).

Lowering the HPA's target utilisation also serves more load, at a price. So the HPA alone is
swept over target utilisations (`SWEEP`) to draw its cost/unserved frontier, and a policy is
compared with that frontier, not with one HPA setting:

- **equal-cost unserved ratio**: the policy's unserved load / the frontier's at the same
  replica-hours. "For the same money, how much of the HPA's unserved load is left?"
- **equal-service cost ratio**: the policy's replica-hours / the frontier's cheapest
  replica-hours leaving no more unserved load. "For the same service, how much of the HPA's
  money is spent?"

Both below 1 are better. The frontier is made monotone (a costlier HPA setting never serves
less), so noise between neighbouring settings does not flatter either side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forescale.scaler.simulate.workload import Figures

__all__ = [
    "NEGLIGIBLE_UNSERVED_PCT",
    "SWEEP",
    "EqualCost",
    "EqualService",
    "FrontierPoint",
    "equal_cost_ratio",
    "equal_service_ratio",
    "interpolate_unserved",
    "monotone_frontier",
]

SWEEP: tuple[float, ...] = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))
"""The HPA's target utilisations 0.30, 0.35, ..., 0.95: the frontier's 14 points."""
NEGLIGIBLE_UNSERVED_PCT = 0.01
"""Below this the frontier serves all but a trace of the load: an unserved ratio there says
nothing (a few requests decide it), so the equal-cost ratio is undefined and only cost speaks."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontierPoint:
    target_utilization: float
    figures: Figures


@dataclass(frozen=True, slots=True, kw_only=True)
class EqualCost:
    ratio: float | None
    """Predictive unserved / frontier unserved at equal cost (None when the frontier leaves
    less than `NEGLIGIBLE_UNSERVED_PCT` there)."""
    reference_unserved_pct: float
    inside: bool
    """False when the predictive cost lies outside the swept range (the value is then the
    nearest end of the frontier)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EqualService:
    ratio: float
    """Predictive replica-hours / the frontier's replica-hours at the same unserved load."""
    reference_replica_hours: float
    inside: bool
    """False when the predictive unserved load lies outside the frontier's range: below it (the
    reference is then the cheapest point serving as much as any point does, so the HPA's true
    cost for that service is higher and the ratio flatters the HPA) or above it (the reference
    is the cheapest point, and a cheaper HPA setting outside the sweep might serve as much)."""


def monotone_frontier(points: list[FrontierPoint]) -> tuple[np.ndarray, np.ndarray]:
    """(replica-hours ascending, unserved % never rising with cost)."""
    if not points:
        raise ValueError("the frontier needs at least one point")
    xs = np.array([p.figures.replica_hours for p in points])
    ys = np.array([p.figures.unserved_load_pct for p in points])
    order = np.argsort(xs, kind="stable")
    # Costlier reactive settings never serve less: enforce a monotone frontier against noise.
    return xs[order], np.minimum.accumulate(ys[order])


def interpolate_unserved(points: list[FrontierPoint], replica_hours: float) -> tuple[float, bool]:
    """Frontier unserved % at ``replica_hours`` (piecewise linear), and whether it was inside."""
    xs, ys = monotone_frontier(points)
    inside = bool(xs[0] <= replica_hours <= xs[-1])
    return float(np.interp(replica_hours, xs, ys)), inside


def equal_cost_ratio(points: list[FrontierPoint], predictive: Figures) -> EqualCost:
    reference, inside = interpolate_unserved(points, predictive.replica_hours)
    ratio = (
        None if reference < NEGLIGIBLE_UNSERVED_PCT else predictive.unserved_load_pct / reference
    )
    return EqualCost(ratio=ratio, reference_unserved_pct=reference, inside=inside)


def equal_service_ratio(points: list[FrontierPoint], predictive: Figures) -> EqualService:
    """Walk the frontier from its cheapest point to where it leaves no more unserved load than
    ``predictive`` (linear inside the segment that crosses it) and compare the costs there."""
    xs, ys = monotone_frontier(points)
    target = predictive.unserved_load_pct
    if ys[0] <= target:  # the cheapest point already serves as much
        reference, inside = float(xs[0]), bool(ys[0] == target)
    elif ys[-1] > target:  # no point serves as much: the cheapest of the best served
        reference, inside = float(xs[int(np.argmax(ys == ys[-1]))]), False
    else:
        i = int(np.argmax(ys <= target))  # first point at or below; ys[i - 1] > target
        share = (ys[i - 1] - target) / (ys[i - 1] - ys[i])
        reference, inside = float(xs[i - 1] + share * (xs[i] - xs[i - 1])), True
    if not reference > 0:
        raise ValueError(f"the frontier's replica-hours must be > 0, got {reference}")
    return EqualService(
        ratio=predictive.replica_hours / reference, reference_replica_hours=reference,
        inside=inside,
    )  # fmt: skip
