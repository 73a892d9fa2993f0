"""The estimator interface every forecaster implements, and the `Forecast` value it returns.

scikit-learn style (as statsforecast and sktime): hyperparameters only in ``__init__``, ``fit``
returns ``self``, fitted attributes end in ``_``. Public ``fit``/``predict`` validate and call the
private ``_fit``/``_predict`` so every model gets the same input checks and error messages.

Cheap update: ``predict(..., context=recent)`` conditions the forecast on observations newer than
the training data without refitting. The controller forecasts every tick but refits rarely, so this
path must cost little (fractions of a millisecond for the fast models).

Rolling forecasts: ``forecast_origins(y, origins, steps=..., quantiles=...)`` is the same forecast
from many origins at once (the simulator and live-accuracy code replay 86,000 minutes). The
default here loops over ``predict(context=y[:o])``; fast models override it with a vectorised
version that must give the same numbers (the conformance suite checks both, and that nothing
after an origin is used).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from forescale.models.errors import InvalidSeriesError, NotFittedError
from forescale.models.validation import check_series, infer_step, validate_quantiles

__all__ = ["BaseForecaster", "Forecast", "TimeUnit", "grid_series"]

TimeUnit = Literal["s", "ms", "us", "ns"]
"""A pandas datetime resolution."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Forecast:
    """Point and quantile forecast on a regular, tz-aware UTC index.

    ``model`` names the model that actually produced the numbers (after any fallback), and
    ``notes`` says why when that differs from what was asked for, so a decision can be explained.
    """

    index: pd.DatetimeIndex
    mean: np.ndarray
    quantiles: Mapping[float, np.ndarray] = field(default_factory=dict)
    model: str
    notes: tuple[str, ...] = ()

    def quantile(self, q: float) -> np.ndarray:
        """The forecast at quantile ``q``; 0.5 falls back to the mean when not computed."""
        for key, values in self.quantiles.items():
            if abs(key - q) < 1e-9:
                return values
        if abs(q - 0.5) < 1e-9:
            return self.mean
        raise KeyError(f"quantile {q} was not forecast; asked for {sorted(self.quantiles)}")

    def to_frame(self) -> pd.DataFrame:
        """Columns ``mean`` and ``q0.9``-style quantile columns, indexed by timestamp."""
        data: dict[str, np.ndarray] = {"mean": self.mean}
        for q in sorted(self.quantiles):
            data[f"q{q:g}"] = self.quantiles[q]
        return pd.DataFrame(data, index=self.index)


class BaseForecaster(BaseEstimator):  # type: ignore[misc]
    """Template methods: public ``fit``/``predict`` validate, private ``_fit``/``_predict`` compute.

    Subclasses set ``name`` (the registry key) and implement ``_fit`` and ``_predict``; they may
    override ``required_history`` when they need more than ``min_samples`` observations (for
    example two full seasons).
    """

    name: ClassVar[str] = "base"
    min_samples: ClassVar[int] = 2

    # -- public API -------------------------------------------------------------------------
    def required_history(self, freq: pd.Timedelta) -> int:
        """Observations this configuration needs at step ``freq`` to fit."""
        del freq
        return self.min_samples

    def fit(self, y: pd.Series) -> Self:
        """Fit on ``y`` (regular tz-aware UTC index); returns ``self``.

        A failed fit leaves the estimator unfitted, also when it was fitted before: a refit
        must not leave old and new fitted state mixed.
        """
        try:
            freq = series_step(y)
            y = check_series(y, min_samples=self.required_history(freq), model=self.name)
            self._fit(y)
        except BaseException:
            self._forget()
            raise
        # State last: a failed _fit leaves the estimator unfitted (sktime convention).
        self.freq_ = pd.Timedelta(freq)
        self.train_start_ = y.index[0]
        self.train_end_ = y.index[-1]
        self.n_obs_ = len(y)
        return self

    def predict(
        self,
        horizon: int,
        *,
        quantiles: Sequence[float] = (),
        context: pd.Series | None = None,
    ) -> Forecast:
        """Forecast ``horizon`` steps after the newest observation.

        ``context``: observations newer than (or overlapping) the training data; the forecast then
        starts after ``context``'s last timestamp, conditioned on it, without a refit.
        """
        if not self.is_fitted():
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet: call fit(y) before predict()."
            )
        if not isinstance(horizon, int | np.integer) or horizon < 1:
            raise ValueError(f"horizon must be a positive number of steps, got {horizon!r}")
        qs = validate_quantiles(quantiles)
        if context is not None:
            context = check_series(context, min_samples=1, model=self.name, freq=self.freq_)
            if context.index[-1] < self.train_end_:
                raise InvalidSeriesError(
                    f"context ends at {context.index[-1]}, before the training data "
                    f"({self.train_end_}); pass the newest observations."
                )
        return self._predict(int(horizon), quantiles=qs, context=context)

    def predict_recent(
        self, horizon: int, *, quantiles: Sequence[float] = (), values: np.ndarray,
        start_ns: int, step_ns: int,
    ) -> Forecast:  # fmt: skip
        """`predict` with the context given as an array on a regular grid: ``values[k]`` at
        ``start_ns + k * step_ns`` (ns since the epoch, UTC). The same forecast, and the same
        errors, as ``predict(horizon, context=...)`` with that Series; models that can skip
        building the Series (`ConformalForecaster`) override this, so a controller forecasting
        thousands of targets a cycle builds no pandas objects for their contexts."""
        return self.predict(
            horizon, quantiles=quantiles,
            context=grid_series(values, start_ns=start_ns, step_ns=step_ns),
        )  # fmt: skip

    def forecast_origins(
        self,
        y: pd.Series,
        origins: pd.DatetimeIndex,
        *,
        steps: Sequence[int],
        quantiles: Sequence[float] = (),
    ) -> dict[str | float, np.ndarray]:
        """Forecasts from each origin, made with ``y`` up to and including that origin only.

        ``origins``: timestamps of ``y`` at or after ``train_end_``. ``steps``: horizon steps
        (1 = the step after the origin). Returns ``"mean"`` and each quantile mapped to an array
        of shape ``(len(origins), len(steps))``.
        """
        step_arr = np.asarray(steps, dtype=np.int64)
        if step_arr.ndim != 1 or step_arr.size == 0 or (step_arr < 1).any():
            raise ValueError(f"steps must be a non-empty sequence of integers >= 1, got {steps!r}")
        qs = validate_quantiles(quantiles)
        horizon = int(step_arr.max())
        keys: list[str | float] = ["mean", *qs]
        out = {key: np.empty((len(origins), step_arr.size)) for key in keys}
        for i, origin in enumerate(origins):
            fc = self.predict(horizon, quantiles=qs, context=y.loc[:origin])
            if fc.index[0] != origin + self.freq_:
                raise InvalidSeriesError(f"origin {origin} is not an observed timestamp of y")
            out["mean"][i] = fc.mean[step_arr - 1]
            for q in qs:
                out[q][i] = fc.quantile(q)[step_arr - 1]
        return out

    def _forget(self) -> None:
        """Drop every fitted attribute (names ending in ``_``)."""
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attr)

    def is_fitted(self) -> bool:
        return hasattr(self, "train_end_")

    def future_index(self, last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` timestamps after ``last`` at the fitted step. Cached: in one control
        cycle every target at the same step forecasts from the same ``last``, and building the
        index was a tenth of a steady cycle (an index is immutable, so sharing it is safe)."""
        freq = self.freq_
        return _future_index(last, last.value, last.unit, horizon, freq, freq.value, freq.unit)

    # -- to implement -----------------------------------------------------------------------
    def _fit(self, y: pd.Series) -> None:
        raise NotImplementedError

    def _predict(
        self, horizon: int, *, quantiles: tuple[float, ...], context: pd.Series | None
    ) -> Forecast:
        raise NotImplementedError

    @classmethod
    def get_test_params(cls) -> list[dict[str, Any]]:
        """Cheap parameter sets for the conformance suite (sktime convention)."""
        return [{}]


def series_step(y: pd.Series) -> pd.Timedelta:
    """The step of ``y``, with typed errors for a non-Series or a non-datetime index."""
    if not isinstance(y, pd.Series):
        raise InvalidSeriesError(f"expected a pandas Series, got {type(y).__name__}")
    if not isinstance(y.index, pd.DatetimeIndex):
        raise InvalidSeriesError(
            f"the series needs a DatetimeIndex (timestamps), not {type(y.index).__name__}"
        )
    return infer_step(y.index)


@functools.lru_cache(maxsize=256)
def _future_index(
    last: pd.Timestamp, last_ns: int, last_unit: str, horizon: int, freq: pd.Timedelta,
    freq_ns: int, freq_unit: str,
) -> pd.DatetimeIndex:  # fmt: skip
    """`BaseForecaster.future_index`; the ns values and units are in the key because Timestamps
    (and Timedeltas) of different units compare equal but give indexes of different units."""
    del last_ns, last_unit, freq_ns, freq_unit
    return pd.date_range(last + freq, periods=horizon, freq=freq, tz="UTC")


def grid_series(
    values: np.ndarray, *, start_ns: int, step_ns: int, unit: TimeUnit = "ns"
) -> pd.Series:
    """``values`` as a Series on the UTC grid ``start_ns + k * step_ns`` (a copy: the caller's
    buffer may be reused)."""
    stamps = np.arange(len(values), dtype=np.int64) * step_ns + start_ns
    index = pd.DatetimeIndex(stamps.view("M8[ns]")).tz_localize("UTC").as_unit(unit)
    return pd.Series(np.array(values, dtype=float), index=index)
