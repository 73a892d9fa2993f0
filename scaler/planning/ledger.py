"""Every forecast is later compared with the actual load: live accuracy and online calibration.

`ForecastLedger` keeps the mean paths issued over the last ``horizon`` origins. When the actual load
for a time arrives, each forecast that predicted that time is scored, per horizon step, into ring
buffers of a fixed size (memory stays flat however long the controller runs).

Two things come out of those buffers:

- **Calibrated quantiles** (online split-conformal): the ``q`` quantile at horizon ``h`` is the
  model's mean times the empirical ``q`` quantile of the recent ratios ``(actual + c) / (mean + c)``
  at that horizon. Whatever model produced the mean, and however traffic changed since it was
  fitted, the band then covers about ``q`` of what actually happened recently. The offset ``c`` (a
  small share of the recent level) keeps near-zero loads from producing huge ratios.
- **Live accuracy**: rolling MAE of the mean, its skill against the persistence forecast ("the load
  stays as it is now") at the same horizon, and the under-forecast rate of the sized quantile. These
  drive the fallback state machine and are published to SREs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

__all__ = ["AccuracySnapshot", "ForecastLedger"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccuracySnapshot:
    """Rolling accuracy at one horizon step over the ledger's window."""

    horizon: int
    scored: int
    mae: float | None
    mean_actual: float | None
    skill: float | None
    """MAE of the forecast / MAE of persistence; < 1 means the forecast beats "no change"."""
    under_rate: float | None
    """Share of actuals above the quantile path the plans were sized on (expected about 1 - q)."""
    bias: float | None
    """Mean of (forecast - actual) / mean actual: negative means under-forecasting."""

    @property
    def relative_error(self) -> float | None:
        if self.mae is None or not self.mean_actual:
            return None
        return self.mae / self.mean_actual


class _Ring:
    """Fixed-size buffer of floats, one row per horizon step."""

    def __init__(self, rows: int, size: int) -> None:
        self.data = np.full((rows, size), np.nan)
        self.pos = np.zeros(rows, dtype=np.int64)
        self.count = np.zeros(rows, dtype=np.int64)
        self.size = size

    def push(self, row: int, value: float) -> None:
        self.data[row, self.pos[row]] = value
        self.pos[row] = (self.pos[row] + 1) % self.size
        self.count[row] = min(self.count[row] + 1, self.size)


class ForecastLedger:
    """Scores issued forecasts against actuals; provides calibrated quantiles and live accuracy.

    ``step`` is the forecast step, ``horizon`` the number of steps of each mean path, ``window`` how
    many scored forecasts per horizon step to keep (e.g. a day of origins).
    """

    def __init__(
        self,
        *,
        step: timedelta,
        horizon: int,
        window: int = 1440,
        min_scored: int = 30,
        offset_share: float = 0.05,
    ) -> None:
        if horizon < 1 or window < 2:
            raise ValueError("horizon must be >= 1 and window >= 2")
        self.step = step
        self.horizon = horizon
        self.window = window
        self.min_scored = min_scored
        self._offset_share = offset_share
        self._step_ns = int(step.total_seconds() * 1e9)
        self._pending: dict[int, np.ndarray] = {}
        self._actuals: dict[int, float] = {}
        self._ratios = _Ring(horizon, window)
        self._abs_err = _Ring(horizon, window)
        self._naive_err = _Ring(horizon, window)
        self._signed = _Ring(horizon, window)
        self._actual_lvl = _Ring(horizon, window)
        self._under = _Ring(horizon, window)
        self._upper: dict[int, np.ndarray] = {}
        self._level = 0.0

    # -- feeding ---------------------------------------------------------------------------
    def record_forecast(
        self, origin: datetime, mean: np.ndarray, upper: np.ndarray | None = None
    ) -> None:
        """Remember the mean path issued at ``origin`` (for ``origin + k*step``, k = 1..) and,
        optionally, the quantile path the plan was sized on (to measure its under-forecast rate)."""
        key = _ns(origin)
        self._pending[key] = np.asarray(mean, dtype=float)[: self.horizon]
        if upper is not None:
            self._upper[key] = np.asarray(upper, dtype=float)[: self.horizon]
        self._forget(key)

    def observe(self, at: datetime, actual: float | None) -> None:
        """The actual load at ``at`` (None or NaN: a gap, nothing is scored)."""
        if actual is None or not np.isfinite(actual):
            return
        key = _ns(at)
        self._actuals[key] = float(actual)
        self._level = actual if self._level == 0.0 else 0.99 * self._level + 0.01 * actual
        c = max(self._offset_share * self._level, 1e-9)
        for h in range(1, self.horizon + 1):
            origin = key - h * self._step_ns
            path = self._pending.get(origin)
            if path is None or len(path) < h or not np.isfinite(path[h - 1]):
                continue
            predicted = float(path[h - 1])
            row = h - 1
            self._ratios.push(row, (actual + c) / (max(predicted, 0.0) + c))
            self._abs_err.push(row, abs(predicted - actual))
            self._signed.push(row, predicted - actual)
            self._actual_lvl.push(row, actual)
            before = self._actuals.get(origin)
            if before is not None:
                self._naive_err.push(row, abs(before - actual))
            upper = self._upper.get(origin)
            if upper is not None and len(upper) >= h and np.isfinite(upper[h - 1]):
                self._under.push(row, float(actual > upper[h - 1]))
        self._forget(key)

    def _forget(self, newest: int) -> None:
        oldest = newest - (self.horizon + 1) * self._step_ns
        for store in (self._pending, self._actuals, self._upper):
            if len(store) > 4 * (self.horizon + 2):
                for k in [k for k in store if k < oldest]:
                    del store[k]

    # -- using ------------------------------------------------------------------------------
    def is_calibrated(self) -> bool:
        return bool(self._ratios.count.min() >= self.min_scored)

    def calibrated(self, mean: np.ndarray, quantile: float) -> np.ndarray | None:
        """The ``quantile`` path for ``mean`` (len <= horizon), or None before enough scoring."""
        mean = np.asarray(mean, dtype=float)
        n = min(len(mean), self.horizon)
        counts = self._ratios.count[:n]
        if n == 0 or counts.min() < self.min_scored:
            return None
        c = max(self._offset_share * self._level, 1e-9)
        factors = np.nanquantile(self._ratios.data[:n], quantile, axis=1)
        out: np.ndarray = np.maximum((np.maximum(mean[:n], 0.0) + c) * factors - c, 0.0)
        return out

    def accuracy(self, horizon: int) -> AccuracySnapshot:
        """Rolling figures at ``horizon`` steps ahead (1-based)."""
        row = max(1, min(horizon, self.horizon)) - 1
        n = int(self._abs_err.count[row])
        if n == 0:
            return AccuracySnapshot(
                horizon=row + 1,
                scored=0,
                mae=None,
                mean_actual=None,
                skill=None,
                under_rate=None,
                bias=None,
            )
        mae = float(np.nanmean(self._abs_err.data[row]))
        level = float(np.nanmean(self._actual_lvl.data[row]))
        naive = float(np.nanmean(self._naive_err.data[row])) if self._naive_err.count[row] else 0.0
        skill = mae / naive if naive > 0 else None
        bias = float(np.nanmean(self._signed.data[row])) / level if level > 0 else None
        under = float(np.nanmean(self._under.data[row])) if self._under.count[row] else None
        return AccuracySnapshot(
            horizon=row + 1,
            scored=n,
            mae=mae,
            mean_actual=level,
            skill=skill,
            under_rate=under,
            bias=bias,
        )


def _ns(at: datetime) -> int:
    return int(at.timestamp() * 1e9)
