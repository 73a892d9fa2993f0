"""`MSTLForecaster`: daily + weekly seasonal decomposition, ETS or ARIMA on what is left.

statsmodels' ``MSTL`` splits the history into daily and weekly seasonal components (weekly only
with two weeks of history) and a deseasonalised rest. The forecast is the last cycle of each
seasonal component plus a forecast of the rest by damped Holt (ETS) or ARIMA(p, 1, q).

Speed: STL's default ``*_jump = 1`` makes MSTL cost 12 s at 5-minute steps; ``trend_jump =
low_pass_jump = ceil(P / 10)`` for the daily period P (R's ``stl()`` default) cuts it ~30x and
moves the seasonal components by < 0.03% of the series' sd (forecasting-notes.md). The rest's
model is fitted on its last ``remainder_window`` only: its constants describe the recent noise,
and the optimiser's cost grows with the length.

Cheap update: new observations are deseasonalised with the stored seasonal profile and the rest's
model is filtered forward over them from its fitted state (linear cost in new observations).
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.seasonal import MSTL

from forescale.models.conformal import DAY, WEEK, ConformalForecaster, steps_in
from forescale.models.errors import ModelFitError
from forescale.models.smoothing import holt_filter, holt_forecast
from forescale.models.validation import format_span

__all__ = ["MSTLForecaster"]


_WEEKLY_SMOOTHING = pd.Timedelta("3h")
"""Width of the moving average applied to the last weekly cycle. With four weeks of 5-minute
data each weekly phase is an average of ~4 noisy values, and that noise went straight into every
forecast: on the NASA trace MSTL's MASE was 0.61 with the raw weekly component, 0.51 without one,
and 0.49 with it smoothed over 3 hours (day-of-week effects are smooth at that scale)."""


def _circular_mean(values: np.ndarray, *, width: int) -> np.ndarray:
    """Centred moving average that wraps around the cycle's ends."""
    if width <= 1:
        return values
    padded = np.concatenate([values[-width:], values, values[:width]])
    smooth = np.convolve(padded, np.ones(width) / width, mode="same")
    return np.asarray(smooth[width:-width])


class MSTLForecaster(ConformalForecaster):
    """MSTL(daily[, weekly]) + ETS/ARIMA on the deseasonalised series.

    Parameters
    ----------
    remainder:
        ``"ets"`` (damped Holt, the default) or ``"arima"`` (ARIMA(2, 1, 1)).
    weekly:
        Weekly component: ``"auto"`` uses it with at least two weeks of history.
    remainder_window:
        History the remainder model is fitted on (a duration).
    """

    name = "mstl"

    def __init__(
        self,
        *,
        remainder: Literal["ets", "arima"] = "ets",
        weekly: Literal["auto"] | bool = "auto",
        remainder_window: str = "3d",
    ) -> None:
        self.remainder = remainder
        self.weekly = weekly
        self.remainder_window = remainder_window

    def _point_history(self, freq: pd.Timedelta) -> int:
        return steps_in(2 * (WEEK if self.weekly is True else DAY), freq) + 1

    def _lookback(self, freq: pd.Timedelta) -> int:
        del freq
        return 4  # the ARIMA differences and lags read the last few deseasonalised values

    def _fit_point(self, y: pd.Series) -> None:
        if self.remainder not in ("ets", "arima"):
            raise ValueError(f"remainder must be 'ets' or 'arima', got {self.remainder!r}")
        freq = self.freq_
        day = steps_in(DAY, freq)
        # statsmodels drops a period that is not shorter than half the series
        weekly = self.weekly if isinstance(self.weekly, bool) else len(y) > 2 * 7 * day
        periods = (day, 7 * day) if weekly else (day,)
        jump = math.ceil(day / 10)
        x = y.to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = MSTL(
                x, periods=periods, stl_kwargs={"trend_jump": jump, "low_pass_jump": jump}
            ).fit()
        seasonal = np.asarray(result.seasonal, dtype=float).reshape(len(x), -1)
        if seasonal.shape[1] != len(periods):
            raise ModelFitError(
                f"mstl: {len(x)} observations are too few for the periods {periods}; "
                "use weekly=False or provide more than two weeks of history"
            )
        cycle = periods[-1]
        profile = np.zeros(cycle)
        for j, period in enumerate(periods):
            last = seasonal[-period:, j]
            if period > day:
                last = _circular_mean(last, width=steps_in(_WEEKLY_SMOOTHING, freq))
            profile += last[np.arange(cycle) % period]
        self.profile_ = profile  # seasonal term for the times train_end + 1, + 2, ...
        rest = x - seasonal.sum(axis=1)
        window = rest[-min(len(rest), steps_in(self.remainder_window, freq)) :]
        self.ets_ = _fit_ets(window) if self.remainder == "ets" else None
        self.arima_ = _fit_arima(window) if self.remainder == "arima" else None
        if not weekly and self.weekly == "auto":
            self.notes_ = (
                f"mstl: daily season only ({format_span(len(y) * freq)} of history; the weekly "
                "one needs more than 14 days)",
            )

    def _mean_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> np.ndarray:
        anchor = (int(self.train_end_.value) - start_ns) // self.freq_.value
        rel = positions - anchor
        cycle = len(self.profile_)
        new = values[anchor + 1 : int(positions.max()) + 1]
        rest = new - self.profile_[np.arange(len(new)) % cycle]
        if self.ets_ is not None:
            params, level, trend = self.ets_
            filtered = holt_filter(rest, params=params, level=level, trend=trend)
            out = holt_forecast(filtered, rel=rel, steps=steps, phi=params[3], m=0)
        else:
            assert self.arima_ is not None
            out = _arima_forecast(self.arima_, rest, rel=rel, steps=steps)
        targets = rel[:, None] + steps[None, :]
        return np.asarray(out + self.profile_[(targets - 1) % cycle])

    @classmethod
    def get_test_params(cls) -> list[dict[str, object]]:
        return [{}, {"remainder": "arima", "weekly": False}]


def _fit_ets(rest: np.ndarray) -> tuple[tuple[float, float, float, float], float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = ExponentialSmoothing(rest, trend="add", damped_trend=True).fit()
    p = result.params
    params = (
        float(p["smoothing_level"]),
        float(p["smoothing_trend"]),
        0.0,
        float(p["damping_trend"]),
    )
    if not all(math.isfinite(v) for v in params):
        raise ModelFitError("mstl: the ETS optimiser returned non-finite parameters")
    return params, float(result.level[-1]), float(result.trend[-1])


def _fit_arima(rest: np.ndarray) -> dict[str, np.ndarray]:
    """ARIMA(2, 1, 1): AR and MA coefficients plus the last differences and innovations."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ARIMA(rest, order=(2, 1, 1)).fit()
    params = np.asarray(result.params, dtype=float)
    if not np.isfinite(params).all():
        raise ModelFitError("mstl: the ARIMA optimiser returned non-finite parameters")
    diffs = np.diff(rest)
    return {
        "ar": params[:2],
        "ma": params[2:3],
        "last": np.asarray(rest[-1:]),
        "z": diffs[-2:],
        "eps": np.asarray(result.resid, dtype=float)[-1:],
    }


def _arima_forecast(
    state: dict[str, np.ndarray], rest: np.ndarray, *, rel: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    """ARIMA(2,1,1) forecasts from filter positions ``rel`` (0 = end of training)."""
    ar, ma = state["ar"], float(state["ma"][0])
    x = np.concatenate([state["last"], rest])  # x[r] = level at relative position r
    z = np.concatenate([state["z"], np.diff(x)])  # z[r + 1] = difference ending at r
    eps = np.zeros(len(z))
    eps[1] = float(state["eps"][0])
    zs, es = z.tolist(), eps.tolist()
    for t in range(2, len(zs)):  # innovations of the new differences (index 2 = first new)
        es[t] = zs[t] - ar[0] * zs[t - 1] - ar[1] * zs[t - 2] - ma * es[t - 1]
    eps = np.asarray(es)
    z1, z2, e1 = z[rel + 1], z[rel], eps[rel + 1]
    level = x[rel].astype(float)
    horizon = int(steps.max())
    path = np.empty((len(rel), horizon))
    for k in range(horizon):
        step = ar[0] * z1 + ar[1] * z2 + (ma * e1 if k == 0 else 0.0)
        level = level + step
        path[:, k] = level
        z1, z2 = step, z1
    return np.asarray(path[:, steps - 1])
