"""How often a replay's floor moves: each move is a ``minReplicas`` (or ASG MinSize) write.

In a cluster every change of the floor is an API write, an audit-log entry and, under GitOps, a
drift to explain. A floor that goes up one replica and down again every few minutes costs all of
that for almost no capacity, so writes and reversals of direction are figures of a replay next to
unserved load and replica-hours.

What the scaled object sees is its *effective* minimum: the floor where there is one, and the
HPA's own ``minReplicas`` where the floor is released (NaN). Releasing a floor of 1 onto a min of
1 changes nothing and is no write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

__all__ = ["FloorActivity", "effective_min", "floor_activity"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FloorActivity:
    writes: int
    """Changes of the effective minimum from one step to the next."""
    reversals: int
    """Writes whose direction (up/down) differs from the previous write's."""
    writes_per_hour: float
    reversals_per_hour: float


def effective_min(floors: np.ndarray, *, min_replicas: int) -> np.ndarray:
    """Per step: the floor where there is one (finite), else ``min_replicas``."""
    values = np.asarray(floors, dtype=float)
    return np.where(np.isfinite(values), values, float(min_replicas))


def floor_activity(floors: np.ndarray, *, step: timedelta, min_replicas: int) -> FloorActivity:
    """Writes and reversals of the effective minimum over ``floors`` (one value per ``step``;
    NaN: no floor). Rates are per hour of the whole span, gaps included (the controller keeps
    writing through them)."""
    if step <= timedelta(0):
        raise ValueError(f"step must be positive, got {step}")
    effective = effective_min(floors, min_replicas=min_replicas)
    moves = np.diff(effective)
    directions = np.sign(moves[moves != 0])
    writes = int(directions.size)
    reversals = int(np.count_nonzero(directions[1:] != directions[:-1]))
    hours = len(effective) * step / timedelta(hours=1)
    return FloorActivity(
        writes=writes,
        reversals=reversals,
        writes_per_hour=writes / hours if hours > 0 else 0.0,
        reversals_per_hour=reversals / hours if hours > 0 else 0.0,
    )
