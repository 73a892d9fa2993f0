"""One tuning of one target on its recent history: the same call for the replay and the controller.

Both hold the load over the tuning window and the mean forecasts the policy was given at each
step (NaN rows where none was); this turns them into a `Window` and tunes. Tuning waits until
``config.min_forecasts`` worth of rows hold forecasts, and starts the window at the first one.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from forescale.scaler.domain import ScalingPolicy
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.tuning.config import TuningConfig
from forescale.scaler.tuning.fastsim import Window
from forescale.scaler.tuning.tuner import Setting, TuningResult, tune

__all__ = ["tune_history"]


def tune_history(
    load: np.ndarray,
    means: np.ndarray,
    *,
    base: ScalingPolicy,
    step: timedelta,
    config: TuningConfig,
    startup: int,
    previous: Setting | None,
    behavior: HpaBehavior = DEFAULT_BEHAVIOR,
) -> TuningResult | None:
    """The tuning on ``load`` (per step, NaN = gap) and ``means[t, h - 1]`` (the forecast for
    step ``t + h`` made at ``t``), against the HPA with ``behavior``; None when tuning is off or
    too few forecasts exist yet."""
    have = np.flatnonzero(np.isfinite(means).all(axis=1))
    if config.mode is None or have.size == 0 or have.size < int(config.min_forecasts / step):
        return None
    lo = int(have[0])
    window = Window(
        load=np.asarray(load, dtype=float)[lo:], mean=means[lo:],
        step_seconds=step.total_seconds(), capacity=base.capacity_per_replica,
        min_replicas=base.min_replicas, max_replicas=base.max_replicas, startup=startup,
        calibration=max(60, int(timedelta(days=1) / step)), behavior=behavior,
    )  # fmt: skip
    short = len(load) - lo < int(config.window / step)
    return tune(
        window, quantile=base.quantile, target_utilization=base.target_utilization,
        lead_steps=max(1, round(base.lead_time / step)), mode=config.mode,
        objective=config.objective, previous=previous,
        window_note="; less history than the 7-day default exists" if short else "",
    )  # fmt: skip
