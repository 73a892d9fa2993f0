"""Calibrated quantiles from held-out residuals (split conformal, scaled to the level).

Why this and not each library's own intervals: statsmodels' Holt-Winters intervals assume
Gaussian errors around a model that is itself wrong about traffic, and quantile regressors are
over-confident out of sample. Residuals of real forecasts on data the model did not see, per
horizon step, are honest for any model, cost nothing at predict time, and make every model's 90%
interval cover about 90% (split conformal prediction, Lei et al. 2018).

Traffic noise grows with the level (request counts are roughly Poisson: sd ~ sqrt(level); bursts
scale with the level), so residuals are normalised by ``(max(mean, 0) + floor) ** power`` before
their quantiles are taken. ``power`` is chosen per series from {0, 0.5, 1} (constant, Poisson-like,
proportional) by the pinball loss on the calibration residuals themselves.

Steps between calibrated grid steps are interpolated; beyond the last one the spread grows like
a random walk, sqrt(k / k_last), because a wider interval is the safe side for autoscaling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from forescale.models.errors import InsufficientHistoryError

__all__ = [
    "ResidualCalibrator",
    "cached_interpolation_weights",
    "horizon_grid",
    "interpolation_weights",
    "pinball_loss",
]

PROB_GRID = np.linspace(0.0, 1.0, 201)
"""Probabilities at which each step's residual distribution is stored (0.5% resolution)."""

POWERS = (0.0, 0.5, 1.0)
_SELECTION_QS = (0.05, 0.1, 0.9, 0.95)
MIN_RESIDUALS = 8
"""Fewest residuals a horizon step needs to be calibrated on its own."""


def horizon_grid(max_step: int) -> np.ndarray:
    """Steps 1, 2, 3, 4, 6, 8, 12, 16, 24, ... up to and including ``max_step``.

    Error grows smoothly with the horizon, so a ~sqrt(2) geometric grid loses little and keeps
    fitting and calibration cost logarithmic in the horizon.
    """
    if max_step < 1:
        raise ValueError(f"max_step must be >= 1, got {max_step}")
    grid: list[int] = []
    base = 1
    while base <= max_step:
        for value in (base, base * 3 // 2):
            if value <= max_step and (not grid or value > grid[-1]):
                grid.append(value)
        base *= 2
    if grid[-1] != max_step:
        grid.append(max_step)
    return np.asarray(grid, dtype=np.int64)


_WEIGHTS: dict[tuple[bytes, bytes], np.ndarray] = {}
_WEIGHTS_KEPT = 256


def cached_interpolation_weights(points: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """`interpolation_weights`, read-only and computed once per (points, grid): ridge asks it
    for the same horizon steps and step grid on every forecast of every target."""
    key = (np.asarray(points, dtype=float).tobytes(), np.asarray(grid, dtype=float).tobytes())
    weights = _WEIGHTS.get(key)
    if weights is None:
        if len(_WEIGHTS) >= _WEIGHTS_KEPT:
            _WEIGHTS.clear()
        weights = interpolation_weights(points, grid)
        weights.flags.writeable = False
        _WEIGHTS[key] = weights
    return weights


def interpolation_weights(points: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Matrix W with ``W @ f(grid) == np.interp(points, grid, f(grid))`` for any f.

    One matrix product interpolates many columns at once (ridge's coefficients per step).
    """
    points = np.clip(np.asarray(points, dtype=float), grid[0], grid[-1])
    hi = np.clip(np.searchsorted(grid, points, side="left"), 1, max(len(grid) - 1, 1))
    weights = np.zeros((len(points), len(grid)))
    if len(grid) == 1:
        weights[:, 0] = 1.0
        return weights
    lo = hi - 1
    frac = (points - grid[lo]) / (grid[hi] - grid[lo])
    rows = np.arange(len(points))
    weights[rows, lo] = 1.0 - frac
    weights[rows, hi] += frac
    return weights


def pinball_loss(actual: np.ndarray, forecast: np.ndarray, q: float) -> float:
    """Mean pinball (quantile) loss of ``forecast`` as the ``q`` quantile, ignoring NaN cells."""
    diff = actual - forecast
    loss = np.maximum(q * diff, (q - 1.0) * diff)
    return float(np.nanmean(loss))


@dataclass(frozen=True, slots=True, kw_only=True)
class ResidualCalibrator:
    """Per-step quantiles of normalised out-of-sample residuals; small and picklable."""

    steps: np.ndarray
    table: np.ndarray
    power: float
    floor: float
    n_origins: int
    direct: Mapping[float, np.ndarray] = field(default_factory=dict)
    """Per-step corrections for directly forecast quantiles (conformalised quantile regression)."""

    @classmethod
    def fit(
        cls,
        *,
        forecasts: np.ndarray,
        actuals: np.ndarray,
        steps: np.ndarray,
        direct_forecasts: Mapping[float, np.ndarray] | None = None,
    ) -> ResidualCalibrator:
        """Calibrate from ``forecasts``/``actuals``, shape (origins, len(steps)); NaN = unknown."""
        forecasts = np.maximum(np.asarray(forecasts, dtype=float), 0.0)
        actuals = np.asarray(actuals, dtype=float)
        counts = np.sum(~np.isnan(actuals), axis=0)
        keep = counts >= MIN_RESIDUALS
        if not keep.any():
            raise InsufficientHistoryError(
                f"too little held-out data to calibrate quantiles ({int(counts.max(initial=0))} "
                f"residuals per step, need {MIN_RESIDUALS}); provide more history"
            )
        forecasts, actuals, steps = forecasts[:, keep], actuals[:, keep], np.asarray(steps)[keep]
        floor = max(0.05 * float(np.nanmean(np.abs(actuals))), 1e-6)
        power = _choose_power(forecasts, actuals, floor=floor)
        scale = (forecasts + floor) ** power
        normalised = (actuals - forecasts) / scale
        table = nanquantile_columns(normalised, PROB_GRID).T
        direct: dict[float, np.ndarray] = {}
        for q, values in (direct_forecasts or {}).items():
            scores = (actuals - np.asarray(values, dtype=float)[:, keep]) / scale
            direct[float(q)] = nanquantile_columns(scores, np.array([q]))[0]
        return cls(
            steps=steps.astype(np.int64),
            table=table,
            power=power,
            floor=floor,
            n_origins=int(forecasts.shape[0]),
            direct=direct,
        )

    def scale(self, mean: np.ndarray) -> np.ndarray:
        """The residual scale at forecast level ``mean`` (same shape)."""
        return np.asarray((np.maximum(mean, 0.0) + self.floor) ** self.power, dtype=float)

    def offsets(self, q: float, steps: np.ndarray) -> np.ndarray:
        """Normalised residual quantile ``q`` at each of ``steps``."""
        at = q * (len(PROB_GRID) - 1)  # PROB_GRID is uniform: interpolate by index
        lo = min(int(at), len(PROB_GRID) - 2)
        frac = at - lo
        per_grid = self.table[:, lo] * (1.0 - frac) + self.table[:, lo + 1] * frac
        return self._along_steps(per_grid, steps)

    def quantiles(
        self,
        mean: np.ndarray,
        *,
        steps: np.ndarray,
        quantiles: Sequence[float],
        direct: Mapping[float, np.ndarray] | None = None,
    ) -> dict[float, np.ndarray]:
        """Quantile forecasts for ``mean`` of shape (..., len(steps)): >= 0 and monotone in q."""
        if not quantiles:
            return {}
        scale = self.scale(mean)
        rows = []
        for q in quantiles:
            if direct is not None and q in direct and q in self.direct:
                rows.append(direct[q] + scale * self._along_steps(self.direct[q], steps))
            else:
                rows.append(mean + scale * self.offsets(q, steps))
        # Sorting across q is the monotone rearrangement (Chernozhukov et al. 2010): it can only
        # reduce the pinball loss, and it makes crossing direct/conformal quantiles impossible.
        stacked = np.maximum(np.sort(np.stack(rows), axis=0), 0.0)
        return {float(q): stacked[i] for i, q in enumerate(quantiles)}

    def _along_steps(self, per_grid: np.ndarray, steps: np.ndarray) -> np.ndarray:
        steps = np.asarray(steps, dtype=float)
        inside = np.interp(steps, self.steps, per_grid)
        last = float(self.steps[-1])
        growth = np.sqrt(np.maximum(steps, last) / last)
        return np.asarray(inside * growth, dtype=float)


def nanquantile_columns(x: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """``np.nanquantile(x, qs, axis=0)`` (linear method) for a 2-D ``x``, vectorised.

    numpy falls back to a Python loop over columns (``apply_along_axis``) as soon as there is a
    NaN, which made calibration a fifth of every fit; one sort (NaN last) and a gather is the same
    arithmetic at a fraction of the cost. Columns without any value give NaN.
    """
    ordered = np.sort(np.asarray(x, dtype=float), axis=0)
    counts = np.sum(~np.isnan(ordered), axis=0)
    qs = np.asarray(qs, dtype=float).reshape(-1, 1)
    position = qs * np.maximum(counts - 1, 0)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(counts - 1, 0))
    frac = position - lo
    lower = np.take_along_axis(ordered, lo, axis=0)
    upper = np.take_along_axis(ordered, hi, axis=0)
    out: np.ndarray = lower + (upper - lower) * frac
    out[:, counts == 0] = np.nan
    return out


def _choose_power(forecasts: np.ndarray, actuals: np.ndarray, *, floor: float) -> float:
    """The level-scaling exponent whose calibrated quantiles have the lowest pinball loss."""
    best, best_loss = POWERS[0], np.inf
    for power in POWERS:
        scale = (forecasts + floor) ** power
        normalised = (actuals - forecasts) / scale
        offsets = nanquantile_columns(normalised, np.asarray(_SELECTION_QS, dtype=float))
        loss = sum(
            pinball_loss(actuals, forecasts + scale * offsets[i], q)
            for i, q in enumerate(_SELECTION_QS)
        )
        if loss < best_loss - 1e-12:
            best, best_loss = power, loss
    return best
