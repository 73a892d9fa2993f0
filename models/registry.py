"""The registered forecasters, by snake_case name (the names the CLI and configuration use)."""

from __future__ import annotations

from typing import Any

from forescale.models.base import BaseForecaster
from forescale.models.baselines import SeasonalMedian, SeasonalNaive
from forescale.models.errors import UnknownModelError
from forescale.models.fallback import Fallback
from forescale.models.fft import FFTForecaster
from forescale.models.gbm import GradientBoosting
from forescale.models.level import LevelTrend
from forescale.models.mstl import MSTLForecaster
from forescale.models.ridge import RidgeForecaster
from forescale.models.selection import AutoForecaster
from forescale.models.smoothing import HoltWinters

__all__ = ["DEFAULT_MODEL", "FORECASTERS", "make_forecaster"]

FORECASTERS: dict[str, type[BaseForecaster]] = {
    cls.name: cls
    for cls in (
        SeasonalNaive,
        SeasonalMedian,
        HoltWinters,
        MSTLForecaster,
        GradientBoosting,
        FFTForecaster,
        RidgeForecaster,
        LevelTrend,
        AutoForecaster,
        Fallback,
    )
}

DEFAULT_MODEL = "auto"
"""What the controller uses unless a target names a model: per-series choice among the fast
models (fit < 1 s on 14 days of 1-minute data, vectorised rolling forecasts)."""


def make_forecaster(name: str, **params: Any) -> BaseForecaster:
    """A new, unfitted forecaster registered as ``name`` with hyperparameters ``params``."""
    try:
        cls = FORECASTERS[name]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name!r}; choose one of: {', '.join(sorted(FORECASTERS))}"
        ) from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise UnknownModelError(f"invalid parameters for {name!r}: {exc}") from exc
