"""Self-tuning in the controller: after each refit, tune the target on its own recent history.

The forecasts replayed are those the policy was actually given (`ForecastRecord`), the load is the
target's history, and the choice is applied to its `TargetPolicy` (quantile, lead window, floor on
or off). In ``fixed`` mode (the default) the HPA's target utilisation stays the user's; the
``tuned`` mode's choice of target is reported as a recommendation (`TuningResult.setting`), not
written to the HPA.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from forescale.scaler.domain import ScalingPolicy
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.planning.policy import TargetPolicy
from forescale.scaler.simulate.tuned import TuningConfig
from forescale.scaler.tuning.fastsim import Window
from forescale.scaler.tuning.record import ForecastRecord
from forescale.scaler.tuning.tuner import Setting, TuningResult, tune

__all__ = ["apply", "recent", "tune_window"]

log = logging.getLogger(__name__)


def recent(
    history: pd.Series, record: ForecastRecord, *, config: TuningConfig, step: timedelta
) -> tuple[pd.Series, np.ndarray]:
    """The window to tune on and its recorded forecasts (copies: cheap, taken under the lock so
    the tuning itself can run outside it)."""
    steps = max(int(config.window / step), config.min_window_steps)
    tail = history.iloc[-steps:].copy()
    return tail, record.matrix(pd.DatetimeIndex(tail.index))


def tune_window(
    recent: pd.Series,
    means: np.ndarray,
    *,
    base: ScalingPolicy,
    config: TuningConfig,
    step: timedelta,
    previous: Setting | None,
    behavior: HpaBehavior = DEFAULT_BEHAVIOR,
) -> TuningResult | None:
    """Tune (pure CPU, no lock needed); None when tuning is off or too few forecasts exist."""
    if config.mode is None or recent.empty:
        return None
    have = np.flatnonzero(np.isfinite(means).all(axis=1))
    if have.size < int(config.min_forecasts / step):
        return None
    lo = int(have[0])
    window = Window(
        load=recent.to_numpy(dtype=float)[lo:], mean=means[lo:],
        step_seconds=step.total_seconds(), capacity=base.capacity_per_replica,
        min_replicas=base.min_replicas, max_replicas=base.max_replicas,
        startup=max(1, round(base.lead_time / step)),
        calibration=max(60, int(timedelta(days=1) / step)), behavior=behavior,
    )  # fmt: skip
    short = len(recent) - lo < int(config.window / step)
    result = tune(
        window, quantile=base.quantile, target_utilization=base.target_utilization,
        lead_steps=max(1, round(base.lead_time / step)), mode=config.mode,
        objective=config.objective, previous=previous,
        window_note="; less history than the 7-day default exists" if short else "",
    )  # fmt: skip
    return result


def apply(
    result: TuningResult, *, policy: TargetPolicy, base: ScalingPolicy, step: timedelta,
    now: datetime,
) -> None:  # fmt: skip
    """Decide with the tuned setting from now on (the HPA's target stays the user's)."""
    s = result.setting
    chosen = replace(
        base, quantile=s.quantile if s.predictive else base.quantile,
        lead_time=base.lead_time + s.lead_offset * step,
    )  # fmt: skip
    policy.retune(chosen, predictive_off=None if s.predictive else result.reason)
    log.info("%s tuned at %s: %s", policy.spec.name, f"{now:%Y-%m-%d %H:%M}", result.reason)
