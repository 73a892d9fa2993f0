"""The simulated workload: when requested replicas become ready, and what that serves.

Semantics (exactly, as documented for ``forescale simulate``):

- replicas requested at step ``t`` become ready at ``t + startup``; a scale-down takes effect at
  once, removing not-yet-ready replicas first. Equivalently
  ``ready(t) = min(requested[t-startup .. t])``;
- the load at ``t`` is served by ``ready(t) x capacity``; the rest is unserved;
- steps whose load is missing (gaps) are not scored; replicas are paid for at every step, starting
  ones included.

``startup`` is counted in whole steps, rounded up, and is at least one step when positive: a
trace value labels a bucket ``[t, t + step)`` whose load is only known when the bucket closes, so a
replica asked for after seeing it cannot serve that same bucket.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import timedelta

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Figures", "oracle_requested", "ready_replicas", "score", "startup_steps"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    """How one policy did on one trace."""

    under_provisioned_pct: float
    """% of scored steps whose load exceeded ready capacity."""
    unserved_load_pct: float
    """Unserved load / total load x 100."""
    replica_hours: float
    """Sum of requested replicas x step, in hours (starting replicas are paid for)."""
    scale_events: int
    """Number of changes of the requested replica count."""

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def startup_steps(startup: timedelta, step: timedelta) -> int:
    if startup <= timedelta(0):
        return 0
    return max(1, math.ceil(startup / step - 1e-9))


def ready_replicas(requested: np.ndarray, startup: int) -> np.ndarray:
    """``ready[t] = min(requested[max(0, t - startup) .. t])``."""
    req = np.asarray(requested, dtype=np.int64)
    if startup == 0 or len(req) == 0:
        return req.copy()
    padded = np.concatenate([np.full(startup, req[0]), req])
    return np.asarray(sliding_window_view(padded, startup + 1).min(axis=1))


def score(
    *, load: np.ndarray, requested: np.ndarray, capacity: float, startup: int, step: timedelta
) -> Figures:
    """Figures for ``requested`` replicas against ``load`` (NaN = gap, not scored)."""
    load = np.asarray(load, dtype=float)
    requested = np.asarray(requested, dtype=np.int64)
    if load.shape != requested.shape:
        raise ValueError("load and requested must have the same length")
    ready = ready_replicas(requested, startup)
    scored = np.isfinite(load)
    lo, rd = load[scored], ready[scored].astype(float)
    served = np.minimum(lo, rd * capacity)
    total = float(lo.sum())
    return Figures(
        under_provisioned_pct=float(100.0 * np.mean(lo > rd * capacity)) if lo.size else 0.0,
        unserved_load_pct=float(100.0 * (total - served.sum()) / total) if total > 0 else 0.0,
        replica_hours=float(requested.sum() * step.total_seconds() / 3600.0),
        scale_events=int(np.count_nonzero(np.diff(requested))) if len(requested) > 1 else 0,
    )


def oracle_requested(
    *, load: np.ndarray, capacity: float, startup: int, min_replicas: int = 1
) -> np.ndarray:
    """Perfect foresight: the fewest replicas that serve all load given the startup delay.

    A replica needed at ``T`` must be requested over all of ``[T - startup, T]``, so the fewest is
    ``requested[s] = max(need[s .. s + startup])`` with ``need = ceil(load / capacity)``.
    """
    load = np.nan_to_num(np.asarray(load, dtype=float), nan=0.0)
    need = np.maximum(np.ceil(load / capacity - 1e-9), min_replicas).astype(np.int64)
    if startup == 0 or len(need) == 0:
        return need
    padded = np.concatenate([need, np.full(startup, need[-1])])
    return np.asarray(sliding_window_view(padded, startup + 1).max(axis=1))
