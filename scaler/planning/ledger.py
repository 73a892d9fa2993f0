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


_SERIES = ("ratio", "abs_err", "naive_err", "signed", "actual", "under")
_RATIO, _ABS, _NAIVE, _SIGNED, _ACTUAL, _UNDER = range(len(_SERIES))


class _Ring:
    """Fixed-size buffer of scored columns for several series at once (series x horizon x
    window; NaN = nothing scored), with O(1) running means, so memory stays flat and scoring
    costs the same after a year as after a day."""

    def __init__(self, series: int, rows: int, size: int) -> None:
        self.data = np.full((series, rows, size), np.nan)
        self.count = np.zeros((series, rows), dtype=np.int64)
        self.total = np.zeros((series, rows))
        self.size = size
        self.pos = 0
        self.pushes = 0

    def push(self, block: np.ndarray) -> None:
        """``block``: series x horizon values scored at one time."""
        old = self.data[:, :, self.pos]
        had, has = ~np.isnan(old), ~np.isnan(block)
        self.total += np.where(has, block, 0.0) - np.where(had, old, 0.0)
        self.count += has.astype(np.int64) - had.astype(np.int64)
        self.data[:, :, self.pos] = block
        self.pos = (self.pos + 1) % self.size
        self.pushes += 1
        if self.pushes % (16 * self.size) == 0:  # wash out floating-point drift
            self.total = np.nansum(self.data, axis=2)

    def mean(self, series: int, row: int) -> float | None:
        n = int(self.count[series, row])
        return float(self.total[series, row] / n) if n else None

    def values(self, series: int, row: int) -> np.ndarray:
        r: np.ndarray = self.data[series, row]
        kept: np.ndarray = r[~np.isnan(r)]
        return kept


class ForecastLedger:
    """Scores issued forecasts against actuals; provides calibrated quantiles and live accuracy.

    ``step`` is the forecast step, ``horizon`` the number of steps of each mean path, ``window`` how
    many scored forecasts per horizon step to keep (e.g. a day of origins). Origins and actuals
    sit on the step grid; forecasts are kept in a small ring indexed by step number.
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
        self._step_us = round(step.total_seconds() * 1e6)
        slots = horizon + 1
        self._slot_step = np.full(slots, -1, dtype=np.int64)  # which step each slot holds
        self._mean = np.full((slots, horizon), np.nan)
        self._upper = np.full((slots, horizon), np.nan)
        self._actual = np.full(slots, np.nan)
        self._actual_step = np.full(slots, -1, dtype=np.int64)
        self._rows = np.arange(horizon)
        self._ring = _Ring(len(_SERIES), horizon, window)
        self._level = 0.0
        # Quantile factors move slowly (a window of ~a day); recomputing them for every decision
        # would dominate a replay, so they are refreshed after every 5 % of the window.
        self._factors: dict[float, tuple[int, np.ndarray]] = {}
        self._refresh = max(1, window // 20)

    # -- feeding ---------------------------------------------------------------------------
    def record_forecast(
        self, origin: datetime, mean: np.ndarray, upper: np.ndarray | None = None
    ) -> None:
        """Remember the mean path issued at ``origin`` (for ``origin + k*step``, k = 1..) and,
        optionally, the quantile path the plan was sized on (to measure its under-forecast rate)."""
        k = self._step_of(origin)
        slot = k % len(self._slot_step)
        self._slot_step[slot] = k
        self._mean[slot] = np.nan
        self._upper[slot] = np.nan
        m = np.asarray(mean, dtype=float)[: self.horizon]
        self._mean[slot, : len(m)] = m
        if upper is not None:
            u = np.asarray(upper, dtype=float)[: self.horizon]
            self._upper[slot, : len(u)] = u

    def observe(self, at: datetime, actual: float | None) -> None:
        """The actual load at ``at`` (None or NaN: a gap, nothing is scored)."""
        if actual is None or not np.isfinite(actual):
            return
        m = self._step_of(at)
        slots = len(self._slot_step)
        origins = m - (self._rows + 1)  # origin step of the forecast for horizon h = row + 1
        idx = origins % slots
        valid = self._slot_step[idx] == origins
        predicted = np.where(valid, self._mean[idx, self._rows], np.nan)
        upper = np.where(valid, self._upper[idx, self._rows], np.nan)
        before = np.where(self._actual_step[idx] == origins, self._actual[idx], np.nan)
        self._actual[m % slots], self._actual_step[m % slots] = actual, m
        self._level = actual if self._level == 0.0 else 0.99 * self._level + 0.01 * actual
        if not np.isfinite(predicted).any():
            return
        c = max(self._offset_share * self._level, 1e-9)
        block = np.empty((len(_SERIES), self.horizon))
        block[_RATIO] = (actual + c) / (np.maximum(predicted, 0.0) + c)
        block[_ABS] = np.abs(predicted - actual)
        block[_NAIVE] = np.abs(before - actual) + 0.0 * predicted  # NaN where nothing predicted
        block[_SIGNED] = predicted - actual
        block[_ACTUAL] = actual + 0.0 * predicted
        block[_UNDER] = np.where(np.isnan(upper), np.nan, (actual > upper).astype(float))
        self._ring.push(block)

    def issued_for(self, at: datetime | None, horizon: int) -> tuple[float, float] | None:
        """The (mean, sized quantile) that was forecast for ``at`` from ``horizon`` steps before,
        if that forecast is still held (for publishing forecast-vs-actual)."""
        if at is None or not 1 <= horizon <= self.horizon:
            return None
        origin = self._step_of(at) - horizon
        slot = origin % len(self._slot_step)
        if self._slot_step[slot] != origin:
            return None
        mean, upper = self._mean[slot, horizon - 1], self._upper[slot, horizon - 1]
        if not (np.isfinite(mean) and np.isfinite(upper)):
            return None
        return float(mean), float(upper)

    def _step_of(self, at: datetime) -> int:
        return round(at.timestamp() * 1e6) // self._step_us

    # -- using ------------------------------------------------------------------------------
    def is_calibrated(self) -> bool:
        return bool(self._ring.count[_RATIO].min() >= self.min_scored)

    def calibrated(self, mean: np.ndarray, quantile: float) -> np.ndarray | None:
        """The ``quantile`` path for ``mean`` (len <= horizon), or None before enough scoring."""
        mean = np.asarray(mean, dtype=float)
        n = min(len(mean), self.horizon)
        counts = self._ring.count[_RATIO, :n]
        if n == 0 or counts.min() < self.min_scored:
            return None
        c = max(self._offset_share * self._level, 1e-9)
        factors = self._quantile_factors(quantile)[:n]
        out: np.ndarray = np.maximum((np.maximum(mean[:n], 0.0) + c) * factors - c, 0.0)
        return out

    def _quantile_factors(self, quantile: float) -> np.ndarray:
        ring = self._ring
        cached = self._factors.get(quantile)
        if cached is not None and ring.pushes - cached[0] < self._refresh:
            return cached[1]
        factors = np.array([
            np.quantile(ring.values(_RATIO, r), quantile) if ring.count[_RATIO, r] else np.nan
            for r in range(self.horizon)
        ])  # fmt: skip
        pushes = ring.pushes
        self._factors[quantile] = (pushes, factors)
        return factors

    def accuracy(self, horizon: int) -> AccuracySnapshot:
        """Rolling figures at ``horizon`` steps ahead (1-based)."""
        row = max(1, min(horizon, self.horizon)) - 1
        ring = self._ring
        n = int(ring.count[_ABS, row])
        mae, level = ring.mean(_ABS, row), ring.mean(_ACTUAL, row)
        if n == 0 or mae is None or level is None:
            return AccuracySnapshot(
                horizon=row + 1,
                scored=0,
                mae=None,
                mean_actual=None,
                skill=None,
                under_rate=None,
                bias=None,
            )
        naive = ring.mean(_NAIVE, row)
        signed = ring.mean(_SIGNED, row)
        return AccuracySnapshot(
            horizon=row + 1, scored=n, mae=mae, mean_actual=level,
            skill=mae / naive if naive else None,
            under_rate=ring.mean(_UNDER, row),
            bias=signed / level if signed is not None and level > 0 else None,
        )  # fmt: skip
