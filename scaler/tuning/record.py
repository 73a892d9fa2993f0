"""The mean forecasts a target was actually given, kept for its tuner.

The tuner replays the target's recent history with the forecasts the policy had at each step:
out of sample by construction (each was made before its load was seen), and free, because the
controller made them anyway. A fixed ring of float32 rows keyed by step number holds them
(seven days at one minute with a six-step horizon: 240 KiB). After a restart, or for a new
target, the ring is empty: the first tuning then replays forecasts made out of sample by a model
fitted before the window (`TargetForecaster.backtest_paths`), kept here (`fill`) until real ones
replace them as the ring turns.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

__all__ = ["ForecastRecord"]


class ForecastRecord:
    def __init__(self, *, step: timedelta, horizon: int, steps: int) -> None:
        self.step_ns = int(step.total_seconds() * 1e9)
        self.horizon = horizon
        self._means = np.full((max(1, steps), horizon), np.nan, dtype=np.float32)
        self._keys = np.full(max(1, steps), -1, dtype=np.int64)

    def record(self, origin: datetime, mean: np.ndarray) -> None:
        """``mean[h - 1]``: the forecast for ``origin + h`` steps, made at ``origin``."""
        key = pd.Timestamp(origin).value // self.step_ns
        slot = key % len(self._keys)
        n = min(len(mean), self.horizon)
        self._means[slot] = np.nan
        self._means[slot, :n] = mean[:n]
        self._keys[slot] = key

    def matrix(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Rows for each timestamp of ``index`` (NaN where nothing was recorded)."""
        keys = index.as_unit("ns").asi8 // self.step_ns
        slots = keys % len(self._keys)
        out = self._means[slots].astype(float)
        out[self._keys[slots] != keys] = np.nan
        return out

    def fill(self, index: pd.DatetimeIndex, means: np.ndarray) -> None:
        """Keep rows of ``means`` (one per timestamp of ``index``) where nothing is recorded."""
        keys = index.as_unit("ns").asi8 // self.step_ns
        slots = keys % len(self._keys)
        n = min(means.shape[1], self.horizon)
        free = (self._keys[slots] != keys) & np.isfinite(means[:, :n]).all(axis=1)
        self._means[slots[free]] = np.nan
        self._means[slots[free], :n] = means[free, :n]
        self._keys[slots[free]] = keys[free]
