"""A fast, approximate replay of one candidate setting: the tuner's inner loop.

The exact replay (`scaler.simulate.replay`) runs the HPA port every 15 s and the full
`TargetPolicy` every step; over seven days at one minute that is about a second per candidate,
and the tuner tries a few dozen. Here the same arithmetic is done once per step over arrays:

- the **floor** for a candidate is what the planner would size: the live-calibrated ``quantile``
  band (the model's mean times the trailing empirical quantile of ``(actual + c) / (mean + c)``
  per horizon step, as `ForecastLedger.calibrated` does, from ratios already observable at each
  origin) peaked over the next ``window`` steps, divided by the load one replica should carry,
  held for ``window - 1`` steps (the planner's stabilisation over the lead time);
- the **HPA** is the autoscaling/v2 algorithm with its default behavior, once per step: the
  tolerance band, scale-up at once (rate-limited per 15 s sync), scale-down to the highest
  recommendation of the stabilisation window, and the floor as its ``minReplicas``. A step counts
  the replicas held for most of it (as the exact replay does): below ten minutes a scale-down
  shows one step later than the window alone says (it lands at or after the step's middle); on an
  hour step it shows at once.

It is an approximation made for ranking candidates; the chosen setting is what the exact policy
then runs, and `tests/scaler/tuning` bounds the gap to the exact replay.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Window", "calibrated_factors", "hpa_counts", "sized_floors"]

TOLERANCE = 0.1
SCALE_DOWN_WINDOW_S = 300.0
SYNC_S = 15.0
OFFSET_SHARE = 0.05
"""As `ForecastLedger`: an offset of 5 % of the level keeps near-zero loads from huge ratios."""


@dataclass(frozen=True, slots=True)
class Window:
    """What every candidate shares: the history being replayed and the forecasts made over it."""

    load: np.ndarray
    """Load per step (NaN = gap)."""
    mean: np.ndarray
    """``mean[t, h - 1]``: the model's mean forecast for step ``t + h`` made at origin ``t``
    (NaN where no forecast was made)."""
    step_seconds: float
    capacity: float
    min_replicas: int
    max_replicas: int
    startup: int
    """Steps a requested replica takes to become ready."""
    calibration: int
    """Scored forecasts per horizon step that live calibration uses (a day of steps)."""

    @property
    def offset(self) -> float:
        finite = self.load[np.isfinite(self.load)]
        return max(OFFSET_SHARE * float(finite.mean()) if finite.size else 0.0, 1e-9)


def calibrated_factors(window: Window, quantile: float, horizon: int) -> np.ndarray:
    """``factors[t, h - 1]``: the calibration factor the ledger would hold at origin ``t``.

    The ratio for origin ``t`` and step ``h`` is only known once ``t + h`` has been observed, so
    the factor at ``t`` uses origins up to ``t - h``. NaN until 30 ratios exist (the ledger's
    default minimum), where the planner falls back to the model's own band (here: the mean).
    """
    load, mean = window.load, window.mean
    n = len(load)
    c = window.offset
    out = np.full((n, horizon), np.nan)
    for h in range(1, horizon + 1):
        actual = np.full(n, np.nan)
        actual[: n - h] = load[h:]
        ratio = (np.maximum(actual, 0.0) + c) / (np.maximum(mean[:, h - 1], 0.0) + c)
        rolled = (
            pd.Series(ratio)
            .rolling(window.calibration, min_periods=30)
            .quantile(quantile, interpolation="linear")
            .to_numpy()
        )
        out[h:, h - 1] = rolled[: n - h]
    return out


def sized_floors(
    window: Window,
    *,
    quantile: float,
    horizon: int,
    per_replica: float,
    factors: np.ndarray | None = None,
) -> np.ndarray:
    """The floor per step (NaN where no forecast): see the module docstring. ``factors``:
    `calibrated_factors` for this quantile (at least ``horizon`` columns), when already known
    (the tuner computes them once per quantile, not once per candidate)."""
    mean = window.mean[:, :horizon]
    if factors is None:
        factors = calibrated_factors(window, quantile, horizon)
    factors = factors[:, :horizon]
    c = window.offset
    band = np.where(
        np.isfinite(factors),
        np.maximum((np.maximum(mean, 0.0) + c) * factors - c, 0.0),
        np.maximum(mean, 0.0),
    )
    forecast = np.isfinite(mean).all(axis=1)
    peak = np.where(forecast, np.nanmax(np.where(np.isfinite(band), band, -np.inf), axis=1), 0.0)
    sized = np.maximum(np.ceil(peak / per_replica - 1e-9), 0.0)
    hold = max(1, horizon - 1)
    if hold > 1:
        padded = np.concatenate([np.zeros(hold - 1), sized])
        sized = sliding_window_view(padded, hold).max(axis=1)
    floors = np.clip(sized, window.min_replicas, window.max_replicas)
    return np.where(forecast, floors, np.nan)


def hpa_counts(
    window: Window, *, target_utilization: float, floors: np.ndarray | None = None
) -> np.ndarray:
    """Requested replicas per step of the HPA alone, or under ``floors`` as its minReplicas."""
    load = window.load
    n = len(load)
    step = window.step_seconds
    if step >= 2 * SCALE_DOWN_WINDOW_S:
        keep = 1
    elif step >= SCALE_DOWN_WINDOW_S:
        keep = 2
    else:  # the step's count is the one held most of it: a scale-down shows one step later
        keep = max(1, math.ceil(SCALE_DOWN_WINDOW_S / step)) + 1
    syncs = max(1, int(step // SYNC_S))
    per = window.capacity * target_utilization
    lo_bound, hi_bound = max(window.min_replicas, 1), window.max_replicas
    lows = [lo_bound] * n
    if floors is not None:
        lows = [
            lo_bound if not math.isfinite(f) else min(hi_bound, max(lo_bound, int(f)))
            for f in floors.tolist()
        ]
    out = np.empty(n, dtype=np.int64)
    recs: deque[int] = deque(maxlen=keep)
    # The HPA ran before the window: start where it would be for the first load, not at its
    # minimum (a cold start inside every window would make every floor look like it pays).
    finite = load[np.isfinite(load)]
    cur = min(hi_bound, max(lo_bound, math.ceil(finite[0] / per - 1e-9) if finite.size else 1))
    for t, x in enumerate(load.tolist()):
        low = lows[t]
        if not math.isfinite(x):  # no metric: the HPA holds
            cur = min(hi_bound, max(cur, low))
            out[t] = cur
            continue
        need = x / per
        raw = cur if abs(need / cur - 1.0) <= TOLERANCE else max(math.ceil(need - 1e-9), 1)
        recs.append(raw)
        rec = cur
        if cur < raw:
            rec = min(raw, max(cur * 2**syncs, cur + 4 * syncs))
        else:
            down = max(recs)
            if cur > down:
                rec = down
        cur = min(hi_bound, max(rec, low))
        out[t] = cur
    return out
