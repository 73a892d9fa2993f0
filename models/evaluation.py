"""Rolling-origin backtesting: how a model would have done had it run on this history.

Protocol (the same for every model, so figures are comparable):

1. The series is put on its regular grid. Gaps of at most ``max_gap_steps`` are interpolated;
   longer ones (outages, lost logs) are filled with the value one week (else one day) earlier so
   the models can train across them (`fill_long_gaps`). **Filled points are never scored and
   never used as forecast origins**: a model is judged only against what really happened.
2. Origins are spread evenly over the test window (the last ``test_size`` steps), on observed
   points with a whole horizon of data after them.
3. The model is refitted on everything up to the first origin of each block of ``refit_every``
   origins; within a block it forecasts through `forecast_origins`, i.e. the cheap update the
   controller uses between refits.
4. Metrics over all scored (origin, step) cells:

   - ``mase``: MAE / in-sample MAE of the daily seasonal naive (one-season-ahead) on the
     training part before the first origin; < 1 beats "same time yesterday".
   - ``smape``: symmetric MAPE in percent (0/0 counts as 0).
   - ``pinball``: mean pinball loss over the 5%, 50% and 95% quantiles.
   - ``coverage_90``: share of actuals inside the [5%, 95%] interval (target 0.90).
   - ``under_forecast_p90``: 90th percentile, over cells with load, of
     max(actual - mean, 0) / actual: "in 9 of 10 cases we under-forecast by at most this".
   - ``fit_ms``: median wall time of one refit; ``predict_ms``: median wall time per origin of
     `forecast_origins` (the cost of one forecast in a rolling replay).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from sklearn.base import clone

from forescale.models.accuracy import backtest_metrics
from forescale.models.base import BaseForecaster
from forescale.models.errors import InsufficientHistoryError
from forescale.models.validation import (
    DEFAULT_MAX_GAP_STEPS,
    fill_long_gaps,
    infer_step,
    regularise,
)

__all__ = ["BacktestMetrics", "BacktestResult", "backtest", "mase_scale", "prepare_series"]

QUANTILES = (0.05, 0.5, 0.95)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestMetrics:
    mase: float
    smape: float
    pinball: float
    coverage_90: float
    under_forecast_p90: float
    fit_ms: float
    predict_ms: float
    n_origins: int
    n_scored: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestResult:
    """Metrics plus the raw forecasts, for plots and per-horizon analysis."""

    model: str
    metrics: BacktestMetrics
    origins: pd.DatetimeIndex
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    actual: np.ndarray
    """Actuals per (origin, step); NaN where the point was filled (not scored)."""
    answered_by: tuple[str, ...]

    def mae_by_step(self) -> np.ndarray:
        return np.asarray(np.nanmean(np.abs(self.actual - self.mean), axis=0))


def prepare_series(
    y: pd.Series, *, max_gap_steps: int = DEFAULT_MAX_GAP_STEPS
) -> tuple[pd.Series, np.ndarray]:
    """Regular, gap-free copy of ``y`` and the mask of observed (not filled) points."""
    regular = regularise(y, model="backtest")
    freq = infer_step(cast(pd.DatetimeIndex, regular.index))
    day = max(1, int(pd.Timedelta("1D") // freq))
    filled, was_missing = fill_long_gaps(
        regular, season_steps=(7 * day, day), max_gap_steps=max_gap_steps
    )
    return filled, ~was_missing


def mase_scale(values: np.ndarray, observed: np.ndarray, *, season: int) -> float:
    """In-sample MAE of the seasonal naive over pairs where both points were observed."""
    if len(values) <= season:
        raise InsufficientHistoryError(
            f"MASE needs more than one season ({season} steps) of history before the first origin"
        )
    both = observed[season:] & observed[:-season]
    diffs = np.abs(values[season:] - values[:-season])[both]
    scale = float(diffs.mean()) if diffs.size else 0.0
    return scale if scale > 0 else float("nan")


def backtest(
    model: BaseForecaster,
    y: pd.Series,
    *,
    horizon: int,
    test_size: int,
    n_origins: int | None = None,
    refit_every: int = 288,
    train_window: int | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Rolling-origin evaluation of ``model`` on ``y``; see the module docstring.

    ``horizon``, ``test_size``, ``refit_every`` (origins) and ``train_window`` (the most recent
    steps a refit sees, like production's bounded history; None = everything before the
    origin) are counts. ``progress(done, total)`` is called after each refit block.
    """
    filled, observed = prepare_series(y)
    values = filled.to_numpy()
    idx = cast(pd.DatetimeIndex, filled.index)
    positions = _origin_positions(observed, horizon=horizon, test_size=test_size, count=n_origins)
    runs = _Runs(model=model, y=filled, horizon=horizon, train_window=train_window)
    blocks = [positions[i : i + max(1, refit_every)] for i in range(0, len(positions), refit_every)]
    for b, block in enumerate(blocks):
        runs.block(block)
        if progress is not None:
            progress(b + 1, len(blocks))
    forecasts = {key: np.concatenate(parts) for key, parts in runs.outputs.items()}
    targets = positions[:, None] + np.arange(1, horizon + 1)[None, :]
    actual = np.where(observed[targets], values[targets], np.nan)
    day = max(1, int(pd.Timedelta("1D") // infer_step(idx)))
    scale = mase_scale(values[: positions[0] + 1], observed[: positions[0] + 1], season=day)
    metrics = backtest_metrics(
        mean=forecasts["mean"],
        lower=forecasts[0.05],
        median=forecasts[0.5],
        upper=forecasts[0.95],
        actual=actual,
        scale=scale,
    )
    return BacktestResult(
        model=model.name,
        metrics=BacktestMetrics(
            **metrics,
            fit_ms=float(np.median(runs.fit_ms)),
            predict_ms=float(np.median(runs.predict_ms)),
            n_origins=len(positions),
            n_scored=int(np.sum(~np.isnan(actual))),
        ),
        origins=idx[positions],
        mean=forecasts["mean"],
        lower=forecasts[0.05],
        upper=forecasts[0.95],
        actual=actual,
        answered_by=tuple(dict.fromkeys(runs.answered)),
    )


class _Runs:
    """Refit once per block of origins, forecast the block with the cheap update, time both."""

    def __init__(
        self, *, model: BaseForecaster, y: pd.Series, horizon: int, train_window: int | None
    ) -> None:
        self.model, self.y, self.train_window = model, y, train_window
        self.steps = np.arange(1, horizon + 1)
        self.outputs: dict[str | float, list[np.ndarray]] = {
            "mean": [],
            **{q: [] for q in QUANTILES},
        }
        self.fit_ms: list[float] = []
        self.predict_ms: list[float] = []
        self.answered: list[str] = []

    def block(self, positions: np.ndarray) -> None:
        fitted = clone(self.model)
        first = 0 if self.train_window is None else max(0, positions[0] + 1 - self.train_window)
        start = time.perf_counter()
        fitted.fit(self.y.iloc[first : positions[0] + 1])
        self.fit_ms.append((time.perf_counter() - start) * 1e3)
        origins = cast(pd.DatetimeIndex, self.y.index)[positions]
        start = time.perf_counter()
        out = fitted.forecast_origins(
            self.y.iloc[: positions[-1] + 1], origins, steps=self.steps, quantiles=QUANTILES
        )
        self.predict_ms.append((time.perf_counter() - start) * 1e3 / len(positions))
        for key, parts in self.outputs.items():
            parts.append(out[key])
        self.answered.append(str(getattr(fitted, "answered_by_", fitted.name)))


def _origin_positions(
    observed: np.ndarray, *, horizon: int, test_size: int, count: int | None
) -> np.ndarray:
    n = len(observed)
    first, last = n - test_size, n - 1 - horizon
    if first < 1 or last < first:
        raise InsufficientHistoryError(
            f"the test window ({test_size} steps) and horizon ({horizon} steps) do not fit in "
            f"{n} observations; shorten them or provide more history"
        )
    candidates = np.arange(first, last + 1)
    candidates = candidates[observed[candidates]]
    if candidates.size == 0:
        raise InsufficientHistoryError("no observed point in the test window to forecast from")
    if count is not None and count < candidates.size:
        pick = np.unique(np.linspace(0, candidates.size - 1, max(1, count)).round().astype(int))
        candidates = candidates[pick]
    return np.asarray(candidates, dtype=np.int64)
