"""`SeasonalNaive`: the value one season before the target ("same minute yesterday").

The yardstick every other model is scored against (MASE, relMAE), and a fallback that needs no
fitting. Quantiles come from its own in-sample residuals, which is honest here: the model has no
parameters to overfit.

`SeasonalMedian`: the median of the same minute over the last few seasons. What `auto` uses in
place of the plain seasonal naive: yesterday alone turns yesterday's flash crowd into today's
forecast, and an autoscaler then pays for a crowd that does not come (on a replay with ten flash
crowds the ensemble's seasonal-naive member raised capacity 24 hours after each one). The median
of three days keeps whatever repeats and drops a one-day accident.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forescale.models.conformal import ConformalForecaster, steps_in

__all__ = ["SeasonalMedian", "SeasonalNaive"]


class SeasonalNaive(ConformalForecaster):
    """``y[t - period * ceil(k / period)]`` for horizon step ``k``.

    Parameters
    ----------
    period:
        The season as a duration: ``"1d"`` (daily, the default) or ``"7d"`` (weekly).
    """

    name = "seasonal_naive"
    calibration = "in_sample"

    def __init__(self, *, period: str = "1d") -> None:
        self.period = period

    def _season(self, freq: pd.Timedelta) -> int:
        return steps_in(self.period, freq)

    def _point_history(self, freq: pd.Timedelta) -> int:
        # One season to copy from plus a day of origins to calibrate the quantiles on.
        return self._season(freq) + max(steps_in("1d", freq), 24)

    def _lookback(self, freq: pd.Timedelta) -> int:
        return self._season(freq)

    def _fit_point(self, y: pd.Series) -> None:
        del y  # nothing to learn: the forecast is a lookup

    def _mean_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> np.ndarray:
        del start_ns
        season = self._season(self.freq_)
        back = season * -(-steps // season)
        return np.asarray(values[positions[:, None] + steps[None, :] - back[None, :]], dtype=float)

    @classmethod
    def get_test_params(cls) -> list[dict[str, object]]:
        return [{"period": "1d"}, {"period": "7d"}]


class SeasonalMedian(SeasonalNaive):
    """Median of ``y[t - j * period - period * ceil(k / period)]`` over ``j < seasons``.

    Uses as many past seasons as the history holds (up to ``seasons``; with one, it is the
    seasonal naive), so it needs no more history than `SeasonalNaive`.
    """

    name = "seasonal_median"

    def __init__(self, *, period: str = "1d", seasons: int = 3) -> None:
        super().__init__(period=period)
        self.seasons = seasons

    def _fit_point(self, y: pd.Series) -> None:
        if self.seasons < 1:
            raise ValueError(f"seasons must be >= 1, got {self.seasons}")
        season = self._season(self.freq_)
        calibration = self._point_history(self.freq_) - season  # origins to calibrate on
        self.k_ = max(1, min(self.seasons, (len(y) - calibration) // season))

    def _warmup(self, freq: pd.Timedelta) -> int:
        return max(super()._warmup(freq), self.k_ * self._season(freq))

    def _lookback(self, freq: pd.Timedelta) -> int:
        return self.k_ * self._season(freq)

    def _mean_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> np.ndarray:
        del start_ns
        season = self._season(self.freq_)
        at = positions[:, None] + steps[None, :] - (season * -(-steps // season))[None, :]
        if self.k_ == 1:
            return np.asarray(values[at], dtype=float)
        return np.asarray(np.median([values[at - j * season] for j in range(self.k_)], axis=0))

    @classmethod
    def get_test_params(cls) -> list[dict[str, object]]:
        return [{"period": "1d", "seasons": 3}, {"period": "1d", "seasons": 2}]
