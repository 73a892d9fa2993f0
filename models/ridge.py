"""`RidgeForecaster`: direct multi-horizon ridge regression on lag and calendar features.

One linear model per horizon step on a ~sqrt(2) geometric grid of steps (1, 2, 3, 4, 6, 8, ...);
steps in between use linearly interpolated coefficients with their own step's features. Direct
(not recursive) models do not compound their own errors, and a linear model is cheap to fit
(~0.1 s on 14 days of 1-minute data) and to apply (one matrix product per batch of origins), which
is why it is the controller's default. The notes measured it best or joint-best on synthetic
traffic and middling on real traces; `auto` backs it up with the others.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from forescale.models.calibration import cached_interpolation_weights, horizon_grid
from forescale.models.conformal import ConformalForecaster, steps_in
from forescale.models.errors import ModelFitError
from forescale.models.features import WEEKLY_MIN_HISTORY, FeatureSpec, cumulative
from forescale.models.validation import format_span

__all__ = ["RidgeForecaster"]

_MIN_ROWS = pd.Timedelta("1D")


class RidgeForecaster(ConformalForecaster):
    """Direct ridge regression per horizon step.

    Parameters
    ----------
    max_horizon:
        Longest step fitted with its own coefficients (a duration); longer horizons reuse the
        last coefficients with their own seasonal lags and calendar terms.
    alpha:
        Ridge penalty relative to the number of rows (scale-free across series lengths).
    weekly:
        Weekly lags and calendar terms: ``"auto"`` turns them on with at least three weeks of
        history (see `WEEKLY_MIN_HISTORY`).
    half_life:
        Weight of training rows halves every ``half_life`` into the past (a duration), so a
        level shift is learned within days; ``None`` weighs all rows equally.
    """

    name = "ridge"

    def __init__(
        self,
        *,
        max_horizon: str = "6h",
        alpha: float = 1e-3,
        weekly: Literal["auto"] | bool = "auto",
        half_life: str | None = "14d",
    ) -> None:
        self.max_horizon = max_horizon
        self.alpha = alpha
        self.weekly = weekly
        self.half_life = half_life

    # -- ConformalForecaster hooks ---------------------------------------------------------
    def _point_history(self, freq: pd.Timedelta) -> int:
        spec = FeatureSpec.for_step(freq, weekly=self.weekly is True)
        return spec.lookback + steps_in(_MIN_ROWS, freq)

    def _lookback(self, freq: pd.Timedelta) -> int:
        del freq
        return self.spec_.lookback

    def _fit_point(self, y: pd.Series) -> None:
        freq = pd.Timedelta(y.index[1] - y.index[0])
        n = len(y)
        weekly = (
            self.weekly
            if isinstance(self.weekly, bool)
            else n >= steps_in(WEEKLY_MIN_HISTORY, freq)
        )
        spec = FeatureSpec.for_step(freq, weekly=weekly)
        values = y.to_numpy(dtype=float)
        grid = horizon_grid(max(1, min(steps_in(self.max_horizon, freq), n - spec.lookback - 1)))
        positions = np.arange(spec.lookback - 1, n - 1)
        if len(positions) < 2 * (spec.n_origin + spec.n_target):
            raise ModelFitError(f"ridge: too few rows ({len(positions)}) to fit")
        csum = cumulative(values)
        x_origin = spec.origin_features(csum, positions)
        x_target = np.stack(
            list(spec.target_features(csum, positions, grid, start_ns=y.index[0].value)), axis=-1
        )
        weights = self._row_weights(positions, n=n, freq=freq)
        coefs = np.empty((len(grid), 1 + spec.n_origin + spec.n_target))
        for j, k in enumerate(grid):
            rows = positions + k < n
            design = np.column_stack([x_origin[rows], x_target[rows, j, :]])
            coefs[j] = _ridge(design, values[positions[rows] + k], weights[rows], alpha=self.alpha)
        self.spec_ = spec
        self.grid_ = grid
        self.coefs_ = coefs
        if not weekly and self.weekly == "auto":
            self.notes_ = (
                f"ridge: weekly lags off ({format_span(n * freq)} of history < 21 days)",
            )

    def _mean_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> np.ndarray:
        spec = self.spec_
        coefs = cached_interpolation_weights(steps, self.grid_) @ self.coefs_  # (steps, coefs)
        csum = cumulative(values)
        out = (
            coefs[None, :, 0]
            + spec.origin_features(csum, positions) @ coefs[:, 1 : 1 + spec.n_origin].T
        )
        feats = spec.target_features(csum, positions, steps, start_ns=start_ns)
        for c, feature in enumerate(feats, start=1 + spec.n_origin):
            out += feature * coefs[None, :, c]
        return np.asarray(out)

    def _row_weights(self, positions: np.ndarray, *, n: int, freq: pd.Timedelta) -> np.ndarray:
        if self.half_life is None:
            return np.ones(len(positions))
        age = (n - 1 - positions) / steps_in(self.half_life, freq)
        return np.asarray(0.5**age)

    @classmethod
    def get_test_params(cls) -> list[dict[str, object]]:
        return [{}, {"max_horizon": "3h", "alpha": 0.1, "weekly": False, "half_life": None}]


def _ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, *, alpha: float) -> np.ndarray:
    """Weighted ridge on standardised columns; returns [intercept, raw coefficients...]."""
    wsum = w.sum()
    mean_x = (w @ x) / wsum
    mean_y = float(w @ y) / wsum
    xc = x - mean_x
    scale = np.sqrt((w @ (xc * xc)) / wsum)
    scale[scale < 1e-12] = 1.0
    xs = xc / scale
    gram = (xs * w[:, None]).T @ xs + alpha * wsum * np.eye(x.shape[1])
    beta = np.linalg.solve(gram, (xs * w[:, None]).T @ (y - mean_y)) / scale
    return np.concatenate([[mean_y - float(mean_x @ beta)], beta])
