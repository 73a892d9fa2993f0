"""`SeasonalNaive`: the value one season before the target ("same minute yesterday").

The yardstick every other model is scored against (MASE, relMAE), and a fallback that needs no
fitting. Quantiles come from its own in-sample residuals, which is honest here: the model has no
parameters to overfit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.conformal import ConformalForecaster, steps_in

__all__ = ["SeasonalNaive"]


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
