"""`LevelTrend`: the cold-start model: recent level and damped trend, from an hour of history.

A new workload has no daily cycle to learn yet, but its last minutes say a lot about its next
minutes. An exponentially weighted level follows the load; an exponentially weighted slope of
that level, damped so it fades within the hour, anticipates a ramp without running away. Both are
two linear filters (`scipy.signal.lfilter`), so forecasting from every origin of a 60-day replay
costs milliseconds. The smoothing constants are set in time, not fitted, so there is nothing to
overfit and the model's own in-sample residuals give honest quantiles: with an hour of history
the intervals are wide because the errors were, which is the truth a cold start has to admit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from forescale.models.conformal import ConformalForecaster, steps_in
from forescale.models.validation import to_timedelta

__all__ = ["LevelTrend"]


class LevelTrend(ConformalForecaster):
    """Exponentially weighted level + damped trend.

    Parameters
    ----------
    level_half_life:
        Weight of an observation in the level halves after this long (a duration).
    trend_half_life:
        The same for the slope of the level.
    damping_half_life:
        The trend's contribution per future step halves after this long, so the forecast
        levels off instead of extrapolating a ramp for hours.
    """

    name = "level"
    calibration = "in_sample"

    def __init__(
        self,
        *,
        level_half_life: str = "10min",
        trend_half_life: str = "30min",
        damping_half_life: str = "20min",
    ) -> None:
        self.level_half_life = level_half_life
        self.trend_half_life = trend_half_life
        self.damping_half_life = damping_half_life

    def _point_history(self, freq: pd.Timedelta) -> int:
        return max(12, steps_in("1h", freq))

    def _warmup(self, freq: pd.Timedelta) -> int:
        return min(steps_in("10min", freq), 4)

    def _lookback(self, freq: pd.Timedelta) -> int:
        # After 24 half-lives the filters' start value weighs < 1e-7: the forecast no longer
        # depends on where the kept history begins.
        slowest = max(to_timedelta(self.level_half_life), to_timedelta(self.trend_half_life))
        return steps_in(24 * slowest, freq)

    def _fit_point(self, y: pd.Series) -> None:
        del y  # the constants are set in time: nothing to fit

    def _mean_origins(
        self, values: np.ndarray, *, positions: np.ndarray, steps: np.ndarray, start_ns: int
    ) -> np.ndarray:
        del start_ns
        freq = self.freq_
        alpha = _smoothing(self.level_half_life, freq)
        beta = _smoothing(self.trend_half_life, freq)
        phi = 1.0 - _smoothing(self.damping_half_life, freq)
        upto = values[: int(positions.max()) + 1]
        level = _ewma(upto, alpha)
        slope = _ewma(np.diff(level, prepend=level[0]), beta)
        # The EWMA level trails a linear ramp by (1 - alpha) / alpha steps: add that back.
        lag = (1.0 - alpha) / alpha
        damped = phi * (1.0 - phi ** steps.astype(float)) / (1.0 - phi)
        return np.asarray(level[positions, None] + slope[positions, None] * (lag + damped[None, :]))

    @classmethod
    def get_test_params(cls) -> list[dict[str, object]]:
        return [{}, {"level_half_life": "30min", "trend_half_life": "2h"}]


def _smoothing(half_life: str, freq: pd.Timedelta) -> float:
    """Per-step smoothing weight whose memory halves every ``half_life``."""
    return float(1.0 - 0.5 ** (freq / to_timedelta(half_life)))


def _ewma(x: np.ndarray, alpha: float) -> np.ndarray:
    """``s_t = alpha * x_t + (1 - alpha) * s_{t-1}``, started at ``x_0``."""
    out, _ = lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * x[0]])
    return np.asarray(out)
