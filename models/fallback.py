"""`Fallback`: when the chosen model cannot answer, a simpler one does, and says so.

statsforecast's ``fallback_model`` idea. The primary may fail to fit (too little history for its
seasons, a numerical failure in an optimiser) or, rarely, to forecast; the fallback (by default
the one-hour `level` model) is always fitted as well, so it can take over at predict time too.
``Forecast.model`` names whoever answered and ``Forecast.notes`` says why the primary did not,
so a scaling decision can always be explained. Bad *input* is not a model failure: it raises the
same typed error it would raise anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.base import clone

from forescale.models.base import BaseForecaster, Forecast
from forescale.models.catalog import SINGLE_MODELS, build
from forescale.models.errors import (
    GapTooLongError,
    InsufficientHistoryError,
    InvalidSeriesError,
    ModelFitError,
    NotFittedError,
)
from forescale.models.selection import AutoForecaster

__all__ = ["FORECASTERS", "Fallback"]

# Any failure of the primary counts, not only the documented ones: a numerical or library error
# deep in statsmodels must not leave a target without a forecast. Bad input is the exception: it
# is re-raised, because the fallback would get the same input.
_FIT_FAILURES = (Exception,)
_PREDICT_FAILURES = (Exception,)


def _build(spec: BaseForecaster | str) -> BaseForecaster:
    return build(FORECASTERS, spec) if isinstance(spec, str) else clone(spec)


class Fallback(BaseForecaster):
    """``primary`` when it can, else ``fallback``; either as an estimator or a registry name."""

    name = "fallback"

    def __init__(
        self, *, primary: BaseForecaster | str = "ridge", fallback: BaseForecaster | str = "level"
    ) -> None:
        self.primary = primary
        self.fallback = fallback

    def required_history(self, freq: pd.Timedelta) -> int:
        return min(
            _build(self.fallback).required_history(freq),
            _build(self.primary).required_history(freq),
        )

    def _fit(self, y: pd.Series) -> None:
        primary, fallback = _build(self.primary), _build(self.fallback)
        self.reason_: str | None = None
        try:
            self.primary_: BaseForecaster | None = primary.fit(y)
        except _FIT_FAILURES as exc:
            if isinstance(exc, InvalidSeriesError) and not _is_history_problem(exc):
                raise
            self.primary_ = None
            self.reason_ = f"{primary.name} could not fit ({exc}); {fallback.name} answered"
        try:
            self.fallback_: BaseForecaster | None = fallback.fit(y)
        except _FIT_FAILURES as exc:
            if self.primary_ is None:
                raise ModelFitError(
                    f"neither {primary.name} nor {fallback.name} could fit: {self.reason_}; "
                    f"{fallback.name}: {exc}"
                ) from exc
            self.fallback_ = None

    @property
    def answered_by_(self) -> str:
        active = self.primary_ if self.primary_ is not None else self.fallback_
        assert active is not None
        return active.name

    def _predict(
        self, horizon: int, *, quantiles: tuple[float, ...], context: pd.Series | None
    ) -> Forecast:
        if self.primary_ is not None:
            try:
                return self.primary_.predict(horizon, quantiles=quantiles, context=context)
            except _PREDICT_FAILURES as exc:
                if self.fallback_ is None or isinstance(exc, InvalidSeriesError | NotFittedError):
                    raise
                reason = (
                    f"{self.primary_.name} failed to forecast ({exc}); "
                    f"{self.fallback_.name} answered"
                )
                forecast = self.fallback_.predict(horizon, quantiles=quantiles, context=context)
                return replace(forecast, notes=(*forecast.notes, reason))
        assert self.fallback_ is not None
        forecast = self.fallback_.predict(horizon, quantiles=quantiles, context=context)
        return replace(forecast, notes=(*forecast.notes, str(self.reason_)))

    def forecast_origins(
        self,
        y: pd.Series,
        origins: pd.DatetimeIndex,
        *,
        steps: Sequence[int],
        quantiles: Sequence[float] = (),
    ) -> dict[str | float, np.ndarray]:
        if not self.is_fitted():
            return super().forecast_origins(y, origins, steps=steps, quantiles=quantiles)
        active = self.primary_ if self.primary_ is not None else self.fallback_
        assert active is not None
        return active.forecast_origins(y, origins, steps=steps, quantiles=quantiles)

    @classmethod
    def get_test_params(cls) -> list[dict[str, object]]:
        return [{}, {"primary": "mstl", "fallback": "seasonal_naive"}]


FORECASTERS: dict[str, type[BaseForecaster]] = {
    **SINGLE_MODELS,
    AutoForecaster.name: AutoForecaster,
    Fallback.name: Fallback,
}
"""Every registered forecaster by name (published by `registry`). It is built here because a
fallback's primary may be any of them, ``auto`` and ``fallback`` included."""


def _is_history_problem(exc: InvalidSeriesError) -> bool:
    """Input problems that a simpler model may not have (too short), unlike a bad index."""
    return isinstance(exc, InsufficientHistoryError | GapTooLongError)
