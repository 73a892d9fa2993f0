"""`ConformalForecaster`: the template every built-in model follows.

A model only says how to forecast the mean from origin positions of one contiguous array
(``_mean_origins``, vectorised over origins); this class turns that into ``predict``,
``predict(context=...)`` (cheap update) and ``forecast_origins`` (the rolling API the simulator
calls 86,000 times), and adds calibrated quantiles from held-out residuals (`ResidualCalibrator`).
Because all three paths go through the same function, they agree exactly.

Data a model sees at forecast time: ``history_`` (the last ``_lookback`` training values) followed
by the observations newer than the training data. Observations at or before ``train_end_`` in a
context are ignored: the model has already learned from them. New data must continue the
training data; the fill policy of `check_series` applies across the join, so a gap longer than
``max_gap_steps`` between training and context is refused with a message, not guessed.

Calibration: ``calibration = "holdout"`` (models with fitted parameters) fits a clone on all but
the last part of the history and forecasts the held-back tail from every origin in it;
``"in_sample"`` (parameter-free models: seasonal naive, level) forecasts the training data itself,
which is honest for them and needs no extra history.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, Self, cast

import numpy as np
import pandas as pd
from sklearn.base import clone

from forescale.models.base import BaseForecaster, Forecast, series_step
from forescale.models.calibration import ResidualCalibrator, horizon_grid
from forescale.models.errors import InsufficientHistoryError, InvalidSeriesError, NotFittedError
from forescale.models.threads import one_thread
from forescale.models.validation import check_series, infer_step, to_timedelta, validate_quantiles

__all__ = ["ConformalForecaster", "check_steps", "steps_in"]

DAY = pd.Timedelta("1D")
WEEK = pd.Timedelta("7D")
CALIBRATION_HORIZON = pd.Timedelta("6h")
"""Longest horizon calibrated from data; beyond it intervals widen like a random walk."""
MAX_HOLDOUT = pd.Timedelta("7D")
MIN_HOLDOUT_STEPS = 24


@functools.lru_cache(maxsize=256)
def steps_in(duration: pd.Timedelta | str, freq: pd.Timedelta) -> int:
    """Whole steps of ``freq`` in ``duration`` (at least 1). Cached: models ask it for their
    lookback on every forecast, and parsing ``"30min"`` was a fiftieth of a control cycle."""
    return max(1, int(to_timedelta(duration) // freq))


def check_steps(steps: Sequence[int] | np.ndarray) -> np.ndarray:
    """``steps`` as a non-empty int array of positive horizon steps."""
    arr = np.asarray(steps)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"steps must be a non-empty sequence of integers, got {steps!r}")
    if (arr < 1).any():
        raise ValueError(f"steps must be >= 1 (1 = the next step), got {arr.min()}")
    return arr.astype(np.int64)


class ConformalForecaster(BaseForecaster):
    """Vectorised point forecast + split-conformal quantiles. See the module docstring."""

    calibration: ClassVar[Literal["holdout", "in_sample"]] = "holdout"

    # -- to implement ------------------------------------------------------------------------
    def _point_history(self, freq: pd.Timedelta) -> int:
        """Observations the point model needs to fit."""
        raise NotImplementedError

    def _lookback(self, freq: pd.Timedelta) -> int:
        """Training observations to keep so forecasts right after training have their inputs."""
        raise NotImplementedError

    def _fit_point(self, y: pd.Series) -> None:
        raise NotImplementedError

    def _mean_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> np.ndarray:
        """Mean forecasts, shape (len(positions), len(steps)), for ``values[p + k]``.

        ``values`` is regular at ``freq_``, its first value at epoch-ns ``start_ns``. The row for
        position ``p`` may only depend on ``values[: p + 1]`` (no peeking).
        """
        raise NotImplementedError

    def _warmup(self, freq: pd.Timedelta) -> int:
        """First origin position with enough data (in-sample calibration starts there)."""
        return self._point_history(freq) - 1

    def _direct_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> dict[float, np.ndarray]:
        """Directly forecast quantiles (e.g. quantile-loss models); conformally corrected."""
        del values, positions, steps, start_ns
        return {}

    # -- BaseForecaster hooks -----------------------------------------------------------------
    def fit(self, y: pd.Series) -> Self:
        with one_thread():
            return super().fit(y)

    def required_history(self, freq: pd.Timedelta) -> int:
        extra = MIN_HOLDOUT_STEPS if self.calibration == "holdout" else 0
        return self._point_history(freq) + extra

    def _fit(self, y: pd.Series) -> None:
        freq = _step_of(y)
        self.freq_ = freq  # models read it while fitting; is_fitted() still waits for train_end_
        self.notes_: tuple[str, ...] = ()
        if self.calibration == "in_sample":
            self._fit_point(y)
            calibrator = _calibrate_on(self, y, first_origin=self._warmup(freq))
        else:
            calibrator = self._calibrate_holdout(y, freq)
            self._fit_point(y)
        self.history_ = y.to_numpy(dtype=float)[-self._lookback(freq) :].copy()
        self.calibrator_: ResidualCalibrator | None = calibrator

    def _predict(
        self, horizon: int, *, quantiles: tuple[float, ...], context: pd.Series | None
    ) -> Forecast:
        values, start_ns = self._extend(context)
        return self._predict_extended(horizon, quantiles=quantiles, values=values,
                                      start_ns=start_ns)  # fmt: skip

    def predict_recent(
        self, horizon: int, *, quantiles: Sequence[float] = (), values: np.ndarray,
        start_ns: int, step_ns: int,
    ) -> Forecast:  # fmt: skip
        """`BaseForecaster.predict_recent` without pandas: when the context is what the
        controller's history gives in the steady state (on the model's grid, every value a
        finite non-negative number, continuing the training data), it is appended to
        ``history_`` as is, exactly as `predict` would after its checks; anything else (a gap,
        a bad value, another grid) takes `predict`'s own path, with its errors."""
        extended = self._extend_array(values, start_ns=start_ns, step_ns=step_ns)
        if extended is None or not isinstance(horizon, int) or horizon < 1:
            return super().predict_recent(horizon, quantiles=quantiles, values=values,
                                          start_ns=start_ns, step_ns=step_ns)  # fmt: skip
        qs = validate_quantiles(quantiles)
        return self._predict_extended(horizon, quantiles=qs, values=extended[0],
                                      start_ns=extended[1])  # fmt: skip

    def _extend_array(
        self, values: np.ndarray, *, start_ns: int, step_ns: int
    ) -> tuple[np.ndarray, int] | None:
        """`_extend` of a context array that needs none of `check_series`'s work (None: it
        does, or it is not the plain continuation of the training data)."""
        if not self.is_fitted() or len(values) == 0 or step_ns != self.freq_.value:
            return None
        end_ns = int(self.train_end_.value)
        last_ns = start_ns + (len(values) - 1) * step_ns
        if last_ns < end_ns or start_ns > end_ns + step_ns or (end_ns - start_ns) % step_ns:
            return None  # ends before the training data, leaves a gap after it, or off its grid
        values = np.asarray(values, dtype=float)
        if not np.isfinite(values).all() or values.min() < 0:
            return None
        first_after = max(0, (end_ns - start_ns) // step_ns + 1)
        history_start = end_ns - (len(self.history_) - 1) * step_ns
        if first_after >= len(values):
            return self.history_, history_start
        return np.concatenate([self.history_, values[first_after:]]), history_start

    def _predict_extended(
        self, horizon: int, *, quantiles: tuple[float, ...], values: np.ndarray, start_ns: int
    ) -> Forecast:
        """The forecast after ``values`` (``history_`` and what came after the training)."""
        steps = np.arange(1, horizon + 1)
        positions = np.array([len(values) - 1])
        mean, qs = self._forecast(
            values, positions=positions, steps=steps, start_ns=start_ns, quantiles=quantiles
        )
        last = pd.Timestamp(start_ns + (len(values) - 1) * self.freq_.value, tz="UTC")
        return Forecast(
            index=self.future_index(last, horizon),
            mean=mean[0],
            quantiles={q: v[0] for q, v in qs.items()},
            model=self.name,
            notes=self.notes_,
        )

    # -- public extras ----------------------------------------------------------------------
    def fit_point(self, y: pd.Series) -> Self:
        """Fit the mean model only, without quantile calibration (``calibrator_`` is None).

        For selection and evaluation loops that score the mean and calibrate elsewhere; a model
        fitted this way answers quantile requests with an error.
        """
        with one_thread():
            try:
                return self._fit_point_only(y)
            except BaseException:
                self._forget()
                raise

    def _fit_point_only(self, y: pd.Series) -> Self:
        freq = series_step(y)
        y = check_series(y, min_samples=self._point_history(freq), model=self.name)
        freq = _step_of(y)
        self.freq_ = freq
        self.notes_ = ()
        self._fit_point(y)
        self.history_ = y.to_numpy(dtype=float)[-self._lookback(freq) :].copy()
        self.calibrator_ = None
        self.train_start_, self.train_end_, self.n_obs_ = y.index[0], y.index[-1], len(y)
        return self

    def forecast_origins(
        self,
        y: pd.Series,
        origins: pd.DatetimeIndex,
        *,
        steps: Sequence[int],
        quantiles: Sequence[float] = (),
    ) -> dict[str | float, np.ndarray]:
        """Vectorised rolling forecasts; same contract as `BaseForecaster.forecast_origins`."""
        if not self.is_fitted():
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(y) first.")
        step_arr = check_steps(steps)
        qs = validate_quantiles(quantiles)
        regular = check_series(y, min_samples=1, model=self.name, freq=self.freq_)
        values, start_ns = self._extend(regular)
        positions = self._origin_positions(y, origins, start_ns=start_ns, n_values=len(values))
        with one_thread():
            mean, qmap = self._forecast(
                values, positions=positions, steps=step_arr, start_ns=start_ns, quantiles=qs
            )
        out: dict[str | float, np.ndarray] = {"mean": mean}
        for q, values in qmap.items():
            out[q] = values
        return out

    def mean_origins_on(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> np.ndarray:
        """Unclipped-to-API mean forecasts on a raw regular array (for selection/evaluation)."""
        mean = self._mean_origins(values, positions=positions, steps=steps, start_ns=start_ns)
        return np.asarray(np.maximum(mean, 0.0), dtype=float)

    # -- internals --------------------------------------------------------------------------
    def _forecast(
        self,
        values: np.ndarray,
        *,
        positions: np.ndarray,
        steps: np.ndarray,
        start_ns: int,
        quantiles: tuple[float, ...],
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        mean = self.mean_origins_on(values, positions=positions, steps=steps, start_ns=start_ns)
        if not quantiles:
            return mean, {}
        if self.calibrator_ is None:
            raise NotFittedError(
                f"{self.name} was fitted with fit_point(), which skips quantile calibration; "
                "call fit(y) to forecast quantiles."
            )
        direct = None
        if self.calibrator_.direct:
            direct = self._direct_origins(
                values, positions=positions, steps=steps, start_ns=start_ns
            )
        qs = self.calibrator_.quantiles(mean, steps=steps, quantiles=quantiles, direct=direct)
        return mean, qs

    def _calibrate_holdout(self, y: pd.Series, freq: pd.Timedelta) -> ResidualCalibrator:
        """Fit a clone on all but the tail, then score it from every origin in the tail."""
        n = len(y)
        hold = min(max(n // 4, MIN_HOLDOUT_STEPS), steps_in(MAX_HOLDOUT, freq))
        hold = min(hold, n - self._point_history(freq))
        if hold < MIN_HOLDOUT_STEPS:
            raise InsufficientHistoryError(
                f"{self.name} needs {self.required_history(freq)} observations at step {freq} "
                f"(fit + {MIN_HOLDOUT_STEPS} held back to calibrate its quantiles); got {n}. "
                "Collect more history or use 'auto', which picks models by available history."
            )
        helper = clone(self).fit_point(y.iloc[: n - hold])
        return _calibrate_on(helper, y, first_origin=n - hold - 1)

    def _extend(self, new: pd.Series | None) -> tuple[np.ndarray, int]:
        """``history_`` followed by the observations of ``new`` after the training data."""
        freq_ns = self.freq_.value
        end_ns = int(self.train_end_.value)
        start_ns = end_ns - (len(self.history_) - 1) * freq_ns
        if new is None:
            return self.history_, start_ns
        idx_ns = cast(pd.DatetimeIndex, new.index).as_unit("ns").asi8
        after = idx_ns > end_ns
        if not after.any():
            return self.history_, start_ns
        if int(idx_ns[after][0]) == end_ns + freq_ns:
            tail = new.to_numpy(dtype=float)[after]
            return np.concatenate([self.history_, tail]), start_ns
        joined = pd.concat([pd.Series(self.history_[-1:], index=[self.train_end_]), new[after]])
        try:
            filled = check_series(joined, min_samples=1, model=self.name, freq=self.freq_)
        except InvalidSeriesError as exc:
            raise type(exc)(
                f"{exc} (new observations must continue the training data, which ends at "
                f"{self.train_end_.isoformat()}; pass history from there on)"
            ) from exc
        return np.concatenate([self.history_, filled.to_numpy()[1:]]), start_ns

    def _origin_positions(
        self, y: pd.Series, origins: pd.DatetimeIndex, *, start_ns: int, n_values: int
    ) -> np.ndarray:
        """Positions of ``origins`` in the extended array, refusing any that would peek or lie."""
        if not isinstance(origins, pd.DatetimeIndex) or origins.tz is None:
            raise InvalidSeriesError("origins must be a tz-aware UTC pd.DatetimeIndex")
        if len(origins) == 0:
            raise ValueError("origins is empty; pass at least one timestamp")
        o_ns = origins.as_unit("ns").asi8
        freq_ns = self.freq_.value
        offset = o_ns - start_ns
        if (offset % freq_ns != 0).any():
            bad = origins[offset % freq_ns != 0][0]
            raise InvalidSeriesError(f"origin {bad.isoformat()} is off the {self.freq_} grid")
        positions = offset // freq_ns
        if (o_ns < self.train_end_.value).any():
            raise InvalidSeriesError(
                f"origin {origins[0].isoformat()} is before the end of the training data "
                f"({self.train_end_.isoformat()}); refit on data up to the first origin"
            )
        if (positions >= n_values).any():
            raise InvalidSeriesError(
                f"origin {origins[-1].isoformat()} is after the last observation of y"
            )
        newer = o_ns > self.train_end_.value
        if newer.any():
            seen = y.reindex(origins[newer].as_unit(cast(Any, y.index).unit))
            if seen.isna().any():
                bad = seen.index[seen.isna().to_numpy()][0]
                raise InvalidSeriesError(
                    f"origin {bad.isoformat()} is not an observed timestamp of y (missing or "
                    "NaN); place origins on observations, a forecast there would use filled data"
                )
        return positions.astype(np.int64)


MAX_CALIBRATION_ORIGINS = 4000


def _calibrate_on(
    model: ConformalForecaster, y: pd.Series, *, first_origin: int
) -> ResidualCalibrator:
    """Residuals of ``model``'s forecasts from origins ``first_origin`` .. end of ``y``."""
    values = y.to_numpy(dtype=float)
    n = len(values)
    freq = _step_of(y)
    max_step = min(steps_in(CALIBRATION_HORIZON, freq), max(1, (n - 1 - first_origin) // 2))
    grid = horizon_grid(max_step)
    positions = np.arange(max(first_origin, 0), n - 1)
    stride = max(1, len(positions) // MAX_CALIBRATION_ORIGINS)
    positions = positions[::stride]
    start_ns = int(y.index[0].value)
    mean = model.mean_origins_on(values, positions=positions, steps=grid, start_ns=start_ns)
    targets = positions[:, None] + grid[None, :]
    actuals = np.where(targets < n, values[np.minimum(targets, n - 1)], np.nan)
    direct = model._direct_origins(values, positions=positions, steps=grid, start_ns=start_ns)
    return ResidualCalibrator.fit(
        forecasts=mean, actuals=actuals, steps=grid, direct_forecasts=direct
    )


def _step_of(y: pd.Series) -> pd.Timedelta:
    return infer_step(cast(pd.DatetimeIndex, y.index))
