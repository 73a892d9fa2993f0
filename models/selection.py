"""`AutoForecaster` (``auto``): pick the model per series by a rolling-origin backtest.

No model wins everywhere (the notes: ridge on synthetic traffic, FFT and GBM on NASA, MSTL on
taxi, a moving average on the ASG trace), so ``auto`` lets each series choose:

1. hold back the tail of the history (a quarter, at most 7 days);
2. fit every candidate that has enough history on the rest (point forecasts only) and forecast
   the tail from every origin in it;
3. rank by mean absolute error up to ``horizon``; keep the best, or the ``ensemble`` best
   weighted by inverse error;
4. calibrate the quantiles of exactly that choice on the same held-out residuals, and refit the
   chosen model(s) on the whole history.

Cold start: candidates that need more history than there is are skipped (and named in
``notes_``); with too little history for any backtest, the model that can use the most of what
there is answers with its own calibration. With under a day of history that is the one-hour
``level`` model; under two weeks, no model uses weekly patterns. The notes say so.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from forescale.models.base import Forecast
from forescale.models.calibration import ResidualCalibrator, horizon_grid
from forescale.models.catalog import SINGLE_MODELS, build
from forescale.models.conformal import (
    CALIBRATION_HORIZON,
    MAX_HOLDOUT,
    MIN_HOLDOUT_STEPS,
    ConformalForecaster,
    steps_in,
)
from forescale.models.errors import ForecastError, InsufficientHistoryError, UnknownModelError
from forescale.models.validation import format_span, infer_step

__all__ = ["ALL_CANDIDATES", "FAST_CANDIDATES", "AutoForecaster"]

FAST_CANDIDATES = ("ridge", "fft", "level", "seasonal_median")
"""Fit in < 1 s on 14 days of 1-minute data and forecast vectorised: the controller's set."""
ALL_CANDIDATES = (*FAST_CANDIDATES, "gbm", "mstl", "holt_winters")
_FAILURES = (ForecastError, ValueError, ArithmeticError, np.linalg.LinAlgError)


def _make(name: str) -> ConformalForecaster:
    if name not in SINGLE_MODELS:  # ``auto`` itself, ``fallback``, or a typo
        raise UnknownModelError(
            f"auto cannot use {name!r} as a candidate; choose among: "
            f"{', '.join(sorted(SINGLE_MODELS))}"
        )
    return build(SINGLE_MODELS, name)


def _duration(steps: int, freq: pd.Timedelta) -> str:
    return format_span(steps * freq)


class AutoForecaster(ConformalForecaster):
    """Per-series model selection (and optional ensemble) by held-out error.

    Parameters
    ----------
    candidates:
        Registry names to choose from (default: the fast ones; `ALL_CANDIDATES` adds gbm, mstl
        and holt_winters at ~10x the fit time).
    horizon:
        Horizon (a duration) over which candidates are compared: the controller's lead time.
    ensemble:
        1 keeps the best candidate; n > 1 averages the n best weighted by inverse held-out
        error. The default 2 was better than 1 and 3 on the NASA trace (MASE 0.402 vs 0.416)
        and on three synthetic series (by 1-2%), at the cost of fitting one more model.
    """

    name = "auto"

    def __init__(
        self,
        *,
        candidates: tuple[str, ...] = FAST_CANDIDATES,
        horizon: str = "1h",
        ensemble: int = 2,
    ) -> None:
        self.candidates = candidates
        self.horizon = horizon
        self.ensemble = ensemble

    # -- hooks ----------------------------------------------------------------------------
    def required_history(self, freq: pd.Timedelta) -> int:
        return min(_make(name).required_history(freq) for name in self.candidates)

    def _point_history(self, freq: pd.Timedelta) -> int:
        return min(_make(name)._point_history(freq) for name in self.candidates)

    def _lookback(self, freq: pd.Timedelta) -> int:
        return max(member._lookback(freq) for member, _ in self.members_)

    def _fit(self, y: pd.Series) -> None:
        self.freq_ = _freq(y)
        self.calibrator_ = self._select(y, calibrate=True)
        self.history_ = y.to_numpy(dtype=float)[-self._lookback(self.freq_) :].copy()

    def _fit_point(self, y: pd.Series) -> None:
        self._select(y, calibrate=False)

    def _mean_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> np.ndarray:
        parts = [
            weight
            * member.mean_origins_on(values, positions=positions, steps=steps, start_ns=start_ns)
            for member, weight in self.members_
        ]
        return np.asarray(np.sum(parts, axis=0))

    def _direct_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> dict[float, np.ndarray]:
        if len(self.members_) != 1:
            return {}
        member = self.members_[0][0]
        return member._direct_origins(values, positions=positions, steps=steps, start_ns=start_ns)

    def _predict_extended(
        self, horizon: int, *, quantiles: tuple[float, ...], values: np.ndarray, start_ns: int
    ) -> Forecast:
        forecast = super()._predict_extended(
            horizon, quantiles=quantiles, values=values, start_ns=start_ns
        )
        return Forecast(
            index=forecast.index,
            mean=forecast.mean,
            quantiles=forecast.quantiles,
            model=self.answered_by_,
            notes=forecast.notes,
        )

    @property
    def answered_by_(self) -> str:
        names = [member.name for member, _ in self.members_]
        return names[0] if len(names) == 1 else f"ensemble({'+'.join(names)})"

    # -- selection --------------------------------------------------------------------------
    def _select(self, y: pd.Series, *, calibrate: bool) -> ResidualCalibrator | None:
        freq, n = self.freq_, len(y)
        notes = _history_notes(n, freq)
        hold = min(max(n // 4, MIN_HOLDOUT_STEPS), steps_in(MAX_HOLDOUT, freq))
        candidates = [_make(name) for name in self.candidates]
        eligible = [c for c in candidates if c._point_history(freq) <= n - hold]
        for c in candidates:
            if c not in eligible:
                need = c._point_history(freq) + hold
                notes.append(f"{c.name} skipped: needs {_duration(need, freq)} of history")
        if len(eligible) < 2:
            calibrator = self._single(y, candidates, notes=notes, calibrate=calibrate)
        else:
            calibrator = self._backtest(y, eligible, hold=hold, notes=notes)
        self.notes_ = tuple(notes)
        return calibrator if calibrate else None

    def _single(
        self,
        y: pd.Series,
        candidates: list[ConformalForecaster],
        *,
        notes: list[str],
        calibrate: bool,
    ) -> ResidualCalibrator | None:
        """No backtest possible: the candidate that uses the most history answers alone."""
        freq, n = self.freq_, len(y)
        need = {
            c.name: c.required_history(freq) if calibrate else c._point_history(freq)
            for c in candidates
        }
        fittable = sorted((c for c in candidates if need[c.name] <= n), key=lambda c: need[c.name])
        if not fittable:
            raise InsufficientHistoryError(
                f"auto: {n} observations at step {freq} are too few for every candidate "
                f"({', '.join(f'{k} needs {v}' for k, v in need.items())}); collect more history"
            )
        best = fittable[-1]
        if calibrate:
            best.fit(y)
        else:
            best.fit_point(y)
        notes.extend(best.notes_)
        self.members_ = [(best, 1.0)]
        self.scores_: dict[str, float] = {}
        notes.append(f"auto: too little history to compare models; {best.name} answered")
        return best.calibrator_

    def _backtest(
        self, y: pd.Series, eligible: list[ConformalForecaster], *, hold: int, notes: list[str]
    ) -> ResidualCalibrator:
        freq, n = self.freq_, len(y)
        values = y.to_numpy(dtype=float)
        start_ns = int(cast(Any, y.index[0]).value)
        horizon = min(steps_in(self.horizon, freq), hold // 2)
        calib = min(steps_in(CALIBRATION_HORIZON, freq), hold // 2)
        steps = np.union1d(np.arange(1, horizon + 1), horizon_grid(max(calib, 1)))
        positions = np.arange(n - hold - 1, n - 1)
        positions = positions[:: max(1, len(positions) // 4000)]
        targets = positions[:, None] + steps[None, :]
        actual = np.where(targets < n, values[np.minimum(targets, n - 1)], np.nan)
        forecasts: dict[str, np.ndarray] = {}
        for model in eligible:
            try:
                model.fit_point(y.iloc[: n - hold])
            except _FAILURES as exc:
                notes.append(f"{model.name} skipped: could not fit ({exc})")
                continue
            forecasts[model.name] = model.mean_origins_on(
                values, positions=positions, steps=steps, start_ns=start_ns
            )
        scores = {
            name: float(np.nanmean(np.abs(actual - f)[:, steps <= horizon]))
            for name, f in forecasts.items()
        }
        ranked = sorted(scores, key=scores.__getitem__)[: max(1, self.ensemble)]
        if not ranked:
            raise InsufficientHistoryError("auto: no candidate could be fitted; see notes")
        inverse = np.array([1.0 / max(scores[name], 1e-12) for name in ranked])
        weights = inverse / inverse.sum()
        combined = np.sum([w * forecasts[name] for w, name in zip(weights, ranked, strict=True)], 0)
        self.members_ = [
            (_make(name).fit_point(y), float(w)) for name, w in zip(ranked, weights, strict=True)
        ]
        self.scores_ = scores
        for member, _ in self.members_:
            notes.extend(member.notes_)
        table = ", ".join(
            f"{name} {scores[name]:.3g}" for name in sorted(scores, key=scores.__getitem__)
        )
        notes.append(
            f"auto: chose {self.answered_by_} by held-out MAE up to {self.horizon}: {table}"
        )
        return ResidualCalibrator.fit(forecasts=combined, actuals=actual, steps=steps)

    @classmethod
    def get_test_params(cls) -> list[dict[str, object]]:
        return [{}, {"candidates": ("ridge", "level", "seasonal_naive"), "ensemble": 1}]


def _history_notes(n: int, freq: pd.Timedelta) -> list[str]:
    have = _duration(n, freq)
    if n * freq < pd.Timedelta("1D"):
        return [f"cold start: only {have} of history (< 1 day): no daily pattern learned yet"]
    if n * freq < pd.Timedelta("14D"):
        return [
            f"short history: {have} (< 2 weeks): weekly patterns are learned from at most one "
            "week, or not at all"
        ]
    return []


def _freq(y: pd.Series) -> pd.Timedelta:
    return infer_step(cast(pd.DatetimeIndex, y.index))
