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

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from forescale.models.accuracy import bias, mean_of, relative_error, skill

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
        return relative_error(self.mae, self.mean_actual)


_SERIES = ("ratio", "abs_err", "naive_err", "signed", "actual", "under")
_RATIO, _ABS, _NAIVE, _SIGNED, _ACTUAL, _UNDER = range(len(_SERIES))


class _Ring:
    """Fixed-size buffer of scored values for several series at once (series x horizon x
    window), with O(1) running means, so memory stays flat and scoring costs the same after a
    year as after a day. The window and the running sums are numpy arrays updated with a few
    vector operations per scored step."""

    def __init__(self, series: int, rows: int, size: int) -> None:
        self.data = np.zeros((series, rows, size))
        self.valid = np.zeros((series, rows, size), dtype=bool)
        self.count = np.zeros((series, rows), dtype=np.int64)
        self.total = np.zeros((series, rows))
        self.size = size
        self.pos = 0
        self.pushes = 0

    def push(self, block: list[list[float]], valid: list[list[bool]]) -> None:
        """``block``: series x horizon values scored at one time (0 where ``valid`` is False)."""
        pos = self.pos
        new, ok = np.array(block), np.array(valid)
        self.total += new - self.data[:, :, pos]
        self.count += ok
        self.count -= self.valid[:, :, pos]
        self.data[:, :, pos] = new
        self.valid[:, :, pos] = ok
        self.pos = (pos + 1) % self.size
        self.pushes += 1
        if self.pushes % (16 * self.size) == 0:  # wash out floating-point drift
            self.total = self.data.sum(axis=2)

    def counts(self, series: int) -> list[int]:
        out: list[int] = self.count[series].tolist()
        return out

    def mean(self, series: int, row: int) -> float | None:
        return mean_of(float(self.total[series, row]), int(self.count[series, row]))

    def values(self, series: int, row: int) -> np.ndarray:
        kept: np.ndarray = self.data[series, row][self.valid[series, row]]
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
        nan = float("nan")
        self._slot_step = [-1] * slots  # which step each slot holds
        self._mean: list[list[float]] = [[nan] * horizon for _ in range(slots)]
        self._upper: list[list[float]] = [[nan] * horizon for _ in range(slots)]
        self._actual = [nan] * slots
        self._actual_step = [-1] * slots
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
        self._mean[slot] = _padded(mean, self.horizon)
        self._upper[slot] = _padded(upper, self.horizon)

    def observe(self, at: datetime, actual: float | None) -> None:
        """The actual load at ``at`` (None or NaN: a gap, nothing is scored)."""
        if actual is None or not math.isfinite(actual):
            return
        actual = float(actual)
        m = self._step_of(at)
        slots = len(self._slot_step)
        here = m % slots
        self._level = actual if self._level == 0.0 else 0.99 * self._level + 0.01 * actual
        c = max(self._offset_share * self._level, 1e-9)
        h = self.horizon
        block = [[0.0] * h for _ in _SERIES]
        valid = [[False] * h for _ in _SERIES]
        any_scored = False
        for row in range(h):
            origin = m - row - 1  # the forecast for horizon row + 1 was issued here
            slot = origin % slots
            if self._slot_step[slot] != origin:
                continue
            predicted = self._mean[slot][row]
            if predicted != predicted:  # NaN
                continue
            any_scored = True
            block[_RATIO][row] = (actual + c) / (max(predicted, 0.0) + c)
            block[_ABS][row] = abs(predicted - actual)
            block[_SIGNED][row] = predicted - actual
            block[_ACTUAL][row] = actual
            for series in (_RATIO, _ABS, _SIGNED, _ACTUAL):
                valid[series][row] = True
            if self._actual_step[slot] == origin:
                block[_NAIVE][row] = abs(self._actual[slot] - actual)
                valid[_NAIVE][row] = True
            upper = self._upper[slot][row]
            if upper == upper:
                block[_UNDER][row] = 1.0 if actual > upper else 0.0
                valid[_UNDER][row] = True
        self._actual[here], self._actual_step[here] = actual, m
        if any_scored:
            self._ring.push(block, valid)

    def issued_for(self, at: datetime | None, horizon: int) -> tuple[float, float] | None:
        """The (mean, sized quantile) that was forecast for ``at`` from ``horizon`` steps before,
        if that forecast is still held (for publishing forecast-vs-actual)."""
        if at is None or not 1 <= horizon <= self.horizon:
            return None
        origin = self._step_of(at) - horizon
        slot = origin % len(self._slot_step)
        if self._slot_step[slot] != origin:
            return None
        mean, upper = self._mean[slot][horizon - 1], self._upper[slot][horizon - 1]
        if not (math.isfinite(mean) and math.isfinite(upper)):
            return None
        return mean, upper

    def _step_of(self, at: datetime) -> int:
        return round(at.timestamp() * 1e6) // self._step_us

    # -- using ------------------------------------------------------------------------------
    def is_calibrated(self) -> bool:
        return min(self._ring.counts(_RATIO)) >= self.min_scored

    def calibrated(self, mean: np.ndarray, quantile: float) -> np.ndarray | None:
        """The ``quantile`` path for ``mean`` (len <= horizon), or None before enough scoring."""
        mean = np.asarray(mean, dtype=float)
        n = min(len(mean), self.horizon)
        counts = self._ring.counts(_RATIO)[:n]
        if n == 0 or min(counts) < self.min_scored:
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
            np.quantile(ring.values(_RATIO, r), quantile) if ring.counts(_RATIO)[r] else np.nan
            for r in range(self.horizon)
        ])  # fmt: skip
        pushes = ring.pushes
        self._factors[quantile] = (pushes, factors)
        return factors

    def accuracy(self, horizon: int) -> AccuracySnapshot:
        """Rolling figures at ``horizon`` steps ahead (1-based)."""
        row = max(1, min(horizon, self.horizon)) - 1
        ring = self._ring
        n = ring.counts(_ABS)[row]
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
            skill=skill(mae, naive), under_rate=ring.mean(_UNDER, row), bias=bias(signed, level),
        )  # fmt: skip


def _padded(values: np.ndarray | None, length: int) -> list[float]:
    """``values`` as ``length`` Python floats (NaN past its end or when absent)."""
    if values is None:
        return [float("nan")] * length
    out: list[float] = np.asarray(values, dtype=float)[:length].tolist()
    return out + [float("nan")] * (length - len(out))
