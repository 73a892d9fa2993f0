"""Forescale's forecasting layer: pure forecasting, no network clients.

Knows nothing of Kubernetes, AWS, Prometheus or HTTP; it takes and returns pandas/numpy data.

Public API (names are imported lazily: ``import models.errors``, which every CLI command does,
loads neither scikit-learn nor statsmodels):

Estimators (scikit-learn style: hyperparameters in ``__init__``, ``fit(y) -> self``)
    ``BaseForecaster.fit(y)``; ``predict(horizon, *, quantiles=(), context=None) -> Forecast``;
    ``forecast_origins(y, origins, *, steps, quantiles=()) -> {"mean"|q: (origins, steps) array}``.
    `SeasonalNaive` ``seasonal_naive``, `SeasonalMedian` ``seasonal_median`` (median of the
    last days: one day's flash crowd is not repeated), `HoltWinters` ``holt_winters``,
    `MSTLForecaster` ``mstl``, `GradientBoosting` ``gbm``, `FFTForecaster` ``fft``,
    `RidgeForecaster` ``ridge``, `LevelTrend` ``level`` (cold start), `AutoForecaster` ``auto``
    (per-series selection / ensemble), `Fallback` ``fallback``. `ConformalForecaster` is the
    template they share.
Registry
    `FORECASTERS` (name -> class), `make_forecaster(name, **params)`, `DEFAULT_MODEL`.
Evaluation
    `backtest(model, y, *, horizon, test_size, n_origins, refit_every)` -> `BacktestResult`
    (`BacktestMetrics`: mase, smape, pinball, coverage_90, under_forecast_p90, fit_ms, predict_ms).
Persistence
    `save(path, model, card)`, `load(path) -> (model, card)`, `read_card(path)`,
    `make_card(model, y, *, created_at, metrics)`, `ModelCard`, `LibraryVersionWarning`.
Data
    `synthetic_traffic(...)`, `load_trace(path_or_file)`, `load_example("nasa")`.
Validation
    `check_series`, `fill_long_gaps`; errors in `models.errors` (all derive `ForecastError`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from models.errors import ForecastError

if TYPE_CHECKING:
    from models.base import BaseForecaster, Forecast
    from models.baselines import SeasonalMedian, SeasonalNaive
    from models.conformal import ConformalForecaster
    from models.datasets import load_example, load_trace, synthetic_traffic
    from models.evaluation import BacktestMetrics, BacktestResult, backtest
    from models.fallback import Fallback
    from models.fft import FFTForecaster
    from models.gbm import GradientBoosting
    from models.level import LevelTrend
    from models.mstl import MSTLForecaster
    from models.persistence import (
        LibraryVersionWarning,
        ModelCard,
        load,
        make_card,
        read_card,
        save,
    )
    from models.registry import DEFAULT_MODEL, FORECASTERS, make_forecaster
    from models.ridge import RidgeForecaster
    from models.selection import AutoForecaster
    from models.smoothing import HoltWinters
    from models.validation import check_series, fill_long_gaps

_LAZY = {
    "BaseForecaster": "models.base",
    "Forecast": "models.base",
    "AutoForecaster": "models.selection",
    "BacktestMetrics": "models.evaluation",
    "BacktestResult": "models.evaluation",
    "ConformalForecaster": "models.conformal",
    "DEFAULT_MODEL": "models.registry",
    "FFTForecaster": "models.fft",
    "FORECASTERS": "models.registry",
    "Fallback": "models.fallback",
    "GradientBoosting": "models.gbm",
    "HoltWinters": "models.smoothing",
    "LevelTrend": "models.level",
    "LibraryVersionWarning": "models.persistence",
    "MSTLForecaster": "models.mstl",
    "ModelCard": "models.persistence",
    "RidgeForecaster": "models.ridge",
    "SeasonalMedian": "models.baselines",
    "SeasonalNaive": "models.baselines",
    "backtest": "models.evaluation",
    "check_series": "models.validation",
    "fill_long_gaps": "models.validation",
    "load": "models.persistence",
    "load_example": "models.datasets",
    "load_trace": "models.datasets",
    "make_card": "models.persistence",
    "make_forecaster": "models.registry",
    "read_card": "models.persistence",
    "save": "models.persistence",
    "synthetic_traffic": "models.datasets",
}

__all__ = [
    "AutoForecaster",
    "BacktestMetrics",
    "BacktestResult",
    "BaseForecaster",
    "ConformalForecaster",
    "DEFAULT_MODEL",
    "FFTForecaster",
    "FORECASTERS",
    "Fallback",
    "Forecast",
    "ForecastError",
    "GradientBoosting",
    "HoltWinters",
    "LevelTrend",
    "LibraryVersionWarning",
    "MSTLForecaster",
    "ModelCard",
    "RidgeForecaster",
    "SeasonalMedian",
    "SeasonalNaive",
    "backtest",
    "check_series",
    "fill_long_gaps",
    "load",
    "load_example",
    "load_trace",
    "make_card",
    "make_forecaster",
    "read_card",
    "save",
    "synthetic_traffic",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")
