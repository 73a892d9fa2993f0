"""The tuner inside a replay: walk-forward, with each refit, on the forecasts already made.

At every refit the replay's own history up to that step (never later) and the mean forecasts the
policy was given over it are handed to `scaler.tuning.tune`; the chosen setting is applied to the
`TargetPolicy` (quantile, lead time, target utilisation, floor on or off) and, in ``tuned`` mode,
to the simulated HPA's target. This is what the controller does at each refit, so the replay's
figures include what tuning costs and what it is wrong about.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from forescale.scaler.domain import ScalingPolicy
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.planning.policy import TargetPolicy
from forescale.scaler.tuning.fastsim import Window
from forescale.scaler.tuning.objective import Objective
from forescale.scaler.tuning.tuner import Mode, Setting, TuningResult, tune

__all__ = ["TuningConfig", "WalkForwardTuner"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TuningConfig:
    mode: Mode | None = "fixed"
    """None: no tuning (the fixed defaults run throughout)."""
    objective: Objective = field(default_factory=Objective)
    window: timedelta = timedelta(days=7)
    min_window_steps: int = 2000
    """On coarse traces seven days are a few hundred steps, too few to tell settings apart:
    the window then grows (within the history kept for fitting) to this many steps."""
    min_forecasts: timedelta = timedelta(days=2)
    """Tune only once this much history has forecasts (calibration needs a day of its own)."""


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
        self.min_steps = int(config.min_forecasts / step)
        self.startup = startup
        self.first: int | None = None
        self.setting: Setting | None = None
        self.results: list[tuple[datetime, TuningResult]] = []

    def record(self, t: int, mean: np.ndarray) -> None:
        """The mean forecast the policy was given at step ``t``."""
        n = min(len(mean), self.means.shape[1])
        self.means[t, :n] = mean[:n]
        if self.first is None:
            self.first = t

    def result_at(self, t: int) -> TuningResult | None:
        """Tune on the steps before ``t`` (None: tuning off, or too few forecasts yet)."""
        if self.config.mode is None or self.first is None or t - self.first < self.min_steps:
            return None
        lo = max(self.first, t - self.window_steps)
        b = self.base
        window = Window(
            load=self.load[lo:t], mean=self.means[lo:t], step_seconds=self.step.total_seconds(),
            capacity=b.capacity_per_replica, min_replicas=b.min_replicas,
            max_replicas=b.max_replicas, startup=self.startup,
            calibration=max(60, int(timedelta(days=1) / self.step)), behavior=self.behavior,
        )  # fmt: skip
        short = t - lo < int(self.config.window / self.step)
        return tune(
            window, quantile=b.quantile, target_utilization=b.target_utilization,
            lead_steps=max(1, round(b.lead_time / self.step)), mode=self.config.mode,
            objective=self.config.objective, previous=self.setting,
            window_note="; less history than the 7-day default exists" if short else "",
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
        recorded = np.flatnonzero(np.isfinite(forecasts).all(axis=1))
        tuner.first = int(recorded[0]) if recorded.size else None
        tuner.setting = previous
        return tuner
