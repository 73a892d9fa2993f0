"""The registered forecasters, by snake_case name (the names the CLI and configuration use).

The table itself is built below this module (`catalog` for the single models, `fallback` for
the two that name others), so that no model has to import the registry: see `catalog`.
"""

from __future__ import annotations

from typing import Any

from forescale.models.base import BaseForecaster
from forescale.models.catalog import build
from forescale.models.fallback import FORECASTERS

__all__ = ["DEFAULT_MODEL", "FORECASTERS", "make_forecaster"]

DEFAULT_MODEL = "auto"
"""What the controller uses unless a target names a model: per-series choice among the fast
models (fit < 1 s on 14 days of 1-minute data, vectorised rolling forecasts)."""


def make_forecaster(name: str, **params: Any) -> BaseForecaster:
    """A new, unfitted forecaster registered as ``name`` with hyperparameters ``params``."""
    return build(FORECASTERS, name, **params)
