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
from forescale.scaler.forecasting.engine import TargetForecaster
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.planning.policy import TargetPolicy
from forescale.scaler.tuning.config import TuningConfig
from forescale.scaler.tuning.history import tune_history
from forescale.scaler.tuning.record import ForecastRecord
from forescale.scaler.tuning.tuner import Setting, TuningResult

__all__ = ["apply", "backfill", "recent", "tune_window"]

log = logging.getLogger(__name__)


def recent(
    history: pd.Series, record: ForecastRecord, *, config: TuningConfig, step: timedelta
) -> tuple[pd.Series, np.ndarray]:
    """The window to tune on and its recorded forecasts (copies: cheap, taken under the lock so
    the tuning itself can run outside it)."""
    steps = max(int(config.window / step), config.min_window_steps)
    tail = history.iloc[-steps:].copy()
    return tail, record.matrix(pd.DatetimeIndex(tail.index))


def backfill(
    history: pd.Series,
    means: np.ndarray,
    forecaster: TargetForecaster,
    *,
    config: TuningConfig,
    step: timedelta,
    quantile: float,
) -> np.ndarray:
    """``means`` (rows: the last ``len(means)`` steps of ``history``) with the rows nothing was
    recorded for filled out of sample, when too few were recorded to tune on (a new target, or
    after a restart), so a target with history is tuned at its first fit instead of waiting days
    in shadow. The whole window is backtested when the history before it is enough for the model
    to fit on, else the last ``config.min_forecasts``; with less, nothing is filled. One extra
    fit and one vectorised forecast; pure CPU, no lock needed."""
    need = int(config.min_forecasts / step)
    have = np.isfinite(means).all(axis=1)
    n, w = len(history), len(means)
    if config.mode is None or int(have.sum()) >= need or w < need:
        return means
    for span in dict.fromkeys((w, need)):  # the whole window, else the least that can tune
        paths = forecaster.backtest_paths(
            history, start=n - span, end=n, quantile=quantile, horizon=means.shape[1]
        )
        if paths is not None:
            out = means.copy()
            rows = out[w - span :]
            missing = ~have[w - span :]
            rows[missing] = paths[0][missing]
            return out
    return means


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
    return tune_history(
        recent.to_numpy(dtype=float), means, base=base, step=step, config=config,
        startup=max(1, round(base.lead_time / step)), previous=previous, behavior=behavior,
    )  # fmt: skip


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
