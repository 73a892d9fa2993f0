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

from forescale.models.errors import ForecastError

if TYPE_CHECKING:
    from forescale.models.base import BaseForecaster, Forecast
    from forescale.models.baselines import SeasonalMedian, SeasonalNaive
    from forescale.models.conformal import ConformalForecaster
    from forescale.models.datasets import load_example, load_trace, synthetic_traffic
    from forescale.models.evaluation import BacktestMetrics, BacktestResult, backtest
    from forescale.models.fallback import Fallback
    from forescale.models.fft import FFTForecaster
    from forescale.models.gbm import GradientBoosting
    from forescale.models.level import LevelTrend
    from forescale.models.mstl import MSTLForecaster
    from forescale.models.persistence import (
        LibraryVersionWarning,
        ModelCard,
        load,
        make_card,
        read_card,
        save,
    )
    from forescale.models.registry import DEFAULT_MODEL, FORECASTERS, make_forecaster
    from forescale.models.ridge import RidgeForecaster
    from forescale.models.selection import AutoForecaster
    from forescale.models.smoothing import HoltWinters
    from forescale.models.validation import check_series, fill_long_gaps

_LAZY = {
    "BaseForecaster": "forescale.models.base",
    "Forecast": "forescale.models.base",
    "AutoForecaster": "forescale.models.selection",
    "BacktestMetrics": "forescale.models.evaluation",
    "BacktestResult": "forescale.models.evaluation",
    "ConformalForecaster": "forescale.models.conformal",
    "DEFAULT_MODEL": "forescale.models.registry",
    "FFTForecaster": "forescale.models.fft",
    "FORECASTERS": "forescale.models.registry",
    "Fallback": "forescale.models.fallback",
    "GradientBoosting": "forescale.models.gbm",
    "HoltWinters": "forescale.models.smoothing",
    "LevelTrend": "forescale.models.level",
    "LibraryVersionWarning": "forescale.models.persistence",
    "MSTLForecaster": "forescale.models.mstl",
    "ModelCard": "forescale.models.persistence",
    "RidgeForecaster": "forescale.models.ridge",
    "SeasonalMedian": "forescale.models.baselines",
    "SeasonalNaive": "forescale.models.baselines",
    "backtest": "forescale.models.evaluation",
    "check_series": "forescale.models.validation",
    "fill_long_gaps": "forescale.models.validation",
    "load": "forescale.models.persistence",
    "load_example": "forescale.models.datasets",
    "load_trace": "forescale.models.datasets",
    "make_card": "forescale.models.persistence",
    "make_forecaster": "forescale.models.registry",
    "read_card": "forescale.models.persistence",
    "save": "forescale.models.persistence",
    "synthetic_traffic": "forescale.models.datasets",
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
    raise AttributeError(f"module 'forescale.models' has no attribute {name!r}")
