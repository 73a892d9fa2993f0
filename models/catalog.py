"""Single forecasters by registry name, and the one way a name becomes an unfitted model.

`AutoForecaster` (``auto``) and `Fallback` (``fallback``) build other forecasters from their
registry names. They used to look the names up in `forescale.models.registry`, which imports
them: an import cycle, hidden by imports inside functions. Names now resolve in layers, each
importing only the ones below it: this module knows the single models; `selection` picks among
them; `fallback` adds ``auto`` and itself; `registry` publishes the whole table. An
import-linter contract (``acyclic_siblings`` over ``forescale.models``) fails on any new cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from forescale.models.base import BaseForecaster
from forescale.models.baselines import SeasonalMedian, SeasonalNaive
from forescale.models.conformal import ConformalForecaster
from forescale.models.errors import UnknownModelError
from forescale.models.fft import FFTForecaster
from forescale.models.gbm import GradientBoosting
from forescale.models.level import LevelTrend
from forescale.models.mstl import MSTLForecaster
from forescale.models.ridge import RidgeForecaster
from forescale.models.smoothing import HoltWinters

__all__ = ["SINGLE_MODELS", "build"]

SINGLE_MODELS: dict[str, type[ConformalForecaster]] = {
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
    )
}
"""Every registered model that forecasts by itself (in the order the CLI lists them): what
``auto`` may choose among."""

_Model = TypeVar("_Model", bound=BaseForecaster)


def build(table: Mapping[str, type[_Model]], name: str, **params: Any) -> _Model:
    """A new, unfitted ``table[name](**params)``; a typo or a bad parameter names the choices."""
    try:
        cls = table[name]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name!r}; choose one of: {', '.join(sorted(table))}"
        ) from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise UnknownModelError(f"invalid parameters for {name!r}: {exc}") from exc
