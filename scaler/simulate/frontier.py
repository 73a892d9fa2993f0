"""Equal-cost comparison: does the predictive policy serve more load *for the same money*?

Lowering the HPA's target utilisation also serves more load, at a price. So the reactive policy is
swept over target utilisations to draw its cost/unserved frontier, and the predictive policy's
unserved load is divided by the frontier's unserved load interpolated at the same replica-hours.
Below 1 is better; 0.5 means half the unserved load for the same cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forescale.scaler.simulate.workload import Figures

__all__ = ["FrontierPoint", "equal_cost_ratio", "interpolate_unserved"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontierPoint:
    target_utilization: float
    figures: Figures


@dataclass(frozen=True, slots=True, kw_only=True)
class EqualCost:
    ratio: float | None
    """Predictive unserved / frontier unserved at equal cost (None when both are zero)."""
    reference_unserved_pct: float
    inside: bool
    """False when the predictive cost lies outside the swept range (the value is then the
    nearest end of the frontier)."""


def interpolate_unserved(points: list[FrontierPoint], replica_hours: float) -> tuple[float, bool]:
    """Frontier unserved % at ``replica_hours`` (piecewise linear), and whether it was inside."""
    if not points:
        raise ValueError("the frontier needs at least one point")
    xs = np.array([p.figures.replica_hours for p in points])
    ys = np.array([p.figures.unserved_load_pct for p in points])
    order = np.argsort(xs)
    xs, ys = xs[order], ys[order]
    # Costlier reactive settings never serve less: enforce a monotone frontier against noise.
    ys = np.minimum.accumulate(ys)
    inside = bool(xs[0] <= replica_hours <= xs[-1])
    return float(np.interp(replica_hours, xs, ys)), inside


def equal_cost_ratio(points: list[FrontierPoint], predictive: Figures) -> EqualCost:
    reference, inside = interpolate_unserved(points, predictive.replica_hours)
    if reference <= 0:
        ratio = None if predictive.unserved_load_pct <= 0 else float("inf")
    else:
        ratio = predictive.unserved_load_pct / reference
    return EqualCost(ratio=ratio, reference_unserved_pct=reference, inside=inside)
