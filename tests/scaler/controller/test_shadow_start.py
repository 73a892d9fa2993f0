"""Shadow start: a self-tuned target sets no floor until forecasting has paid on its own history.

Three worlds on the real controller (in-memory twins, virtual time, 5-minute steps):

- ten days of history with a clean daily peak: the first tuning runs at the first fit on
  forecasts made out of sample by a model fitted before the tuning window (a backtest), finds
  that forecasting pays, and the peak is planned for on the first day;
- three days of history (too little to backtest a week): the target forecasts in shadow, says
  why, sets no floor, and is tuned once two days of its own forecasts exist;
- ten days of flat noise: the backtest shows a floor would only add cost, so no floor is ever
  raised and the reason says forecasting did not pay.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd

from forescale.scaler.controller.runtime import CycleOutcome
from forescale.scaler.domain import TargetSpec
from forescale.scaler.planning.fallback import Mode
from tests.scaler.controller.world import (
    BASE,
    HPA_MIN,
    PEAK,
    PEAK_HOUR,
    START,
    STEP,
    World,
    daily_load,
    needed,
    settings,
    spec,
)

LONG = timedelta(days=10)


def _long(load: pd.Series) -> pd.Series:
    """``load`` preceded by whole days of itself, so history starts ``LONG`` before START."""
    per_day = int(timedelta(days=1) / STEP)
    days = int((LONG - (START - load.index[0])) / timedelta(days=1))
    values = np.concatenate([load.to_numpy()[:per_day]] * days + [load.to_numpy()])
    index = pd.date_range(START - LONG, periods=len(values), freq=STEP)
    return pd.Series(values, index=index)


def _world(target: TargetSpec, load: pd.Series) -> World:
    return World([target], loads={target.query: load}, control=settings(shadow_start=True))


def _outcome(world: World, until: timedelta) -> list[CycleOutcome]:
    return [r.outcomes["shop/web"] for r in world.run_until(START + until)]


def test_a_target_with_history_is_tuned_at_its_first_fit_and_plans_the_first_peak() -> None:
    target = replace(spec(), history=LONG)
    world = _world(target, _long(daily_load(days=12)))

    outcomes = _outcome(world, timedelta(hours=PEAK_HOUR))

    runtime = world.controller.runtime("shop/web")
    assert runtime is not None
    tuning = runtime.tuning()
    assert tuning is not None and tuning["predictive"]  # predictive, a quantile
    assert outcomes[0].decision.plan.mode is Mode.PREDICTIVE
    assert world.floor() >= needed(BASE + PEAK) > HPA_MIN  # raised before the peak


def test_a_target_with_too_little_history_forecasts_in_shadow_until_it_has_been_tuned() -> None:
    world = _world(spec(), daily_load(days=6))  # three days before START

    first_day = _outcome(world, timedelta(hours=PEAK_HOUR + 1))

    runtime = world.controller.runtime("shop/web")
    assert runtime is not None and runtime.tuning() is None
    plans = [o.decision.plan for o in first_day]
    assert all(p.floor is None and p.mode is Mode.REACTIVE for p in plans)
    assert "not yet been shown to pay" in plans[-1].explain()
    assert {floor for _, floors in world.floors for floor in floors.values()} == {HPA_MIN}
    assert runtime.last_forecast is not None  # forecasting goes on in shadow

    _outcome(world, timedelta(days=2, hours=PEAK_HOUR))  # two days of its own forecasts

    tuning = runtime.tuning()
    assert tuning is not None and tuning["predictive"]
    assert world.floor() >= needed(BASE + PEAK)


def test_a_flat_noisy_target_with_history_never_gets_a_floor() -> None:
    index = pd.date_range(START - LONG, START + timedelta(days=2), freq=STEP)
    noise = np.random.default_rng(7).normal(0.0, 40.0, len(index))
    flat = pd.Series(np.maximum(BASE * 3 + noise, 0.0), index=index)
    target = replace(spec(), history=LONG)
    world = _world(target, flat)

    outcomes = _outcome(world, timedelta(hours=12))

    runtime = world.controller.runtime("shop/web")
    assert runtime is not None
    tuning = runtime.tuning()
    assert tuning is not None and not tuning["predictive"]
    assert "did not pay" in outcomes[-1].decision.plan.explain()
    assert all(o.decision.plan.floor is None for o in outcomes)
    assert {floor for _, floors in world.floors for floor in floors.values()} == {HPA_MIN}
