"""The tuner inside a replay: walk-forward, with each refit, on the forecasts already made.

At every refit the replay's own history up to that step (never later) and the mean forecasts the
policy was given over it are handed to `scaler.tuning.tune`; the chosen setting is applied to the
`TargetPolicy` (quantile, lead time, target utilisation, floor on or off) and, in ``tuned`` mode,
to the simulated HPA's target. This is what the controller does at each refit, so the replay's
figures include what tuning costs and what it is wrong about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from forescale.scaler.domain import ScalingPolicy
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.planning.policy import TargetPolicy
from forescale.scaler.tuning.config import SHADOW, TuningConfig
from forescale.scaler.tuning.history import tune_history
from forescale.scaler.tuning.tuner import Setting, TuningResult

__all__ = ["WalkForwardTuner"]


class WalkForwardTuner:
    def __init__(
        self,
        config: TuningConfig,
        *,
        load: np.ndarray,
        horizon: int,
        step: timedelta,
        base: ScalingPolicy,
        history_window: timedelta,
        startup: int,
        behavior: HpaBehavior = DEFAULT_BEHAVIOR,
    ) -> None:
        self.config, self.load, self.step, self.base = config, load, step, base
        self.behavior = behavior
        """The HPA's ``spec.behavior``: the fast replay scores candidates against it."""
        self.means = np.full((len(load), horizon), np.nan)
        steps = int(config.window / step)
        self.window_steps = max(steps, min(config.min_window_steps, int(history_window / step)))
        self.startup = startup
        self.setting: Setting | None = None
        self.results: list[tuple[datetime, TuningResult]] = []

    def start(self, policy: TargetPolicy) -> None:
        """Before the first step: in shadow until the first tuning (`TuningConfig.shadow_start`)."""
        if self.config.mode is not None and self.config.shadow_start:
            policy.retune(self.base, predictive_off=SHADOW)

    def record(self, t: int, mean: np.ndarray) -> None:
        """The mean forecast the policy was given at step ``t``."""
        n = min(len(mean), self.means.shape[1])
        self.means[t, :n] = mean[:n]

    def result_at(self, t: int) -> TuningResult | None:
        """Tune on the steps before ``t`` (None: tuning off, or too few forecasts yet)."""
        lo = max(0, t - self.window_steps)
        return tune_history(
            self.load[lo:t], self.means[lo:t], base=self.base, step=self.step,
            config=self.config, startup=self.startup, previous=self.setting,
            behavior=self.behavior,
        )  # fmt: skip

    def tune(self, t: int, now: datetime, policy: TargetPolicy) -> ScalingPolicy | None:
        """Tune on steps before ``t`` and apply; returns the policy for the HPA (None: none)."""
        result = self.result_at(t)
        if result is None:
            return None
        self.results.append((now, result))
        b = self.base
        s = self.setting = result.setting
        chosen = replace(
            b, quantile=s.quantile if s.predictive else b.quantile,
            lead_time=b.lead_time + s.lead_offset * self.step,
            target_utilization=s.target_utilization,
        )  # fmt: skip
        policy.retune(chosen, predictive_off=None if s.predictive else result.reason)
        return chosen

    @classmethod
    def resume(
        cls, config: TuningConfig, *, load: np.ndarray, forecasts: np.ndarray, step: timedelta,
        base: ScalingPolicy, history_window: timedelta, startup: int,
        previous: Setting | None = None, behavior: HpaBehavior = DEFAULT_BEHAVIOR,
    ) -> WalkForwardTuner:  # fmt: skip
        """A tuner holding a finished replay's forecasts (to tune once more at its end)."""
        tuner = cls(
            config, load=load, horizon=forecasts.shape[1], step=step, base=base,
            history_window=history_window, startup=startup, behavior=behavior,
        )  # fmt: skip
        tuner.means = forecasts
        tuner.setting = previous
        return tuner
