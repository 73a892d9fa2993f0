"""The controller follows the model store: it adopts the promoted model at startup and when it
changes, refits that configuration on its cadence, shadows a newer candidate, and survives a
broken store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forescale.models.base import BaseForecaster
from forescale.models.datasets import synthetic_traffic
from forescale.models.fft import FFTForecaster
from forescale.models.level import LevelTrend
from forescale.models.persistence import make_card
from forescale.scaler.actuators.memory import MemoryActuator
from forescale.scaler.clock import VirtualClock
from forescale.scaler.controller.loop import Controller, ControlSettings
from forescale.scaler.controller.runtime import RuntimeSettings, TargetRuntime
from forescale.scaler.controller.targets import StaticTargets
from forescale.scaler.domain import HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.forecasting.engine import RefitPolicy
from forescale.scaler.forecasting.promoted import DEFAULT_POLL
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.modelstore import DirectoryModelStore

STEP = timedelta(minutes=5)
START = datetime(2026, 3, 2, tzinfo=UTC)
KEY = "shop_web"
LOAD = synthetic_traffic(days=6, freq="5min", seed=4, start="2026-02-27T00:00:00Z")
"""Three days before START and three after."""


def spec() -> TargetSpec:
    policy = ScalingPolicy(capacity_per_replica=20, max_replicas=40, interval=STEP,
                           lead_time=timedelta(minutes=15))  # fmt: skip
    return TargetSpec(name=TargetName("shop/web"), ref=HpaRef(namespace="shop", name="web"),
                      query="load", policy=policy, model="seasonal_naive", step=STEP,
                      history=timedelta(days=3))  # fmt: skip


def save(store: DirectoryModelStore, model: BaseForecaster, *, until: datetime) -> str:
    y = LOAD.loc[: pd.Timestamp(until) - STEP]
    model.fit(y)
    return store.save(KEY, model, make_card(model, y, created_at=until))


class World:
    def __init__(self, store: DirectoryModelStore, refit_every: timedelta = timedelta(days=1)):
        self.clock = VirtualClock(START)
        self.actuator = MemoryActuator()
        self.actuator.add(spec().ref, min_replicas=1, max_replicas=40)
        runtime = RuntimeSettings(refit=RefitPolicy(refit_every=refit_every))
        self.controller = Controller(
            targets=StaticTargets([spec()]),
            source=FrameSource({"load": LOAD}, now=self.clock.now),
            actuators={"hpa": self.actuator}, clock=self.clock, models=store,
            settings=ControlSettings(interval_seconds=300, runtime=runtime),
        )  # fmt: skip

    @property
    def runtime(self) -> TargetRuntime:
        return self.controller.runtimes[TargetName("shop/web")]

    def run(self, cycles: int) -> None:
        for _ in range(cycles):
            report = self.controller.run_once()
            assert not report.errors, report.errors
            self.clock.advance(STEP)


@pytest.fixture
def store(tmp_path: Path) -> DirectoryModelStore:
    return DirectoryModelStore(tmp_path / "models")


def test_the_promoted_model_is_adopted_at_startup_and_a_new_promotion_within_a_poll(
    store: DirectoryModelStore,
) -> None:
    first = save(store, LevelTrend(), until=START - timedelta(hours=1))
    store.promote(KEY, first)
    world = World(store)
    world.run(1)
    runtime = world.runtime
    assert runtime.model_version == first and isinstance(runtime.model, LevelTrend)
    assert world.runtime.last is not None and world.runtime.last.refit_reason is None

    second = save(store, FFTForecaster(), until=START)
    store.promote(KEY, second)
    polls = int(DEFAULT_POLL / STEP)
    world.run(polls - 1)
    assert runtime.model_version == first  # asked again only once per poll interval
    world.run(1)
    assert runtime.model_version == second and isinstance(runtime.model, FFTForecaster)
    card = runtime.model_card()
    assert (
        card is not None and card[1].created_at == START
    )  # the card's creation time: refits count from it


def test_refits_keep_the_promoted_configuration(store: DirectoryModelStore) -> None:
    store.promote(
        KEY, save(store, LevelTrend(level_half_life="25min"), until=START - timedelta(hours=3))
    )
    world = World(store, refit_every=timedelta(hours=2))
    world.run(1)
    assert world.runtime.last is not None and world.runtime.last.refit_reason is not None
    model = world.runtime.model
    assert isinstance(model, LevelTrend) and model.level_half_life == "25min"
    assert model.train_end_ > pd.Timestamp(START - timedelta(hours=3))


def test_a_newer_unpromoted_version_runs_in_shadow_and_is_scored_live(
    store: DirectoryModelStore,
) -> None:
    store.promote(KEY, save(store, LevelTrend(), until=START))
    candidate = save(store, FFTForecaster(), until=START)
    world = World(store)
    world.run(60)  # five hours of cycles

    follower = world.runtime.follower
    assert follower is not None and follower.shadow is not None
    comparison = follower.comparison()
    assert comparison is not None and comparison.candidate_version == candidate
    assert comparison.candidate.scored == comparison.production.scored >= 30
    assert comparison.candidate_better is not None
    assert world.runtime.model_version != candidate  # shadow only: never promoted


def test_a_broken_store_is_reported_and_the_target_keeps_forecasting(
    store: DirectoryModelStore,
) -> None:
    store.promote(KEY, save(store, LevelTrend(), until=START))
    world = World(store)
    world.run(1)
    (store.root / KEY / "PROMOTED").unlink()
    (store.root / KEY / "PROMOTED").mkdir()  # unreadable pointer: an I/O error on every read
    world.run(int(DEFAULT_POLL / STEP))

    assert world.runtime.follower is not None and "model store" in (
        world.runtime.follower.error or ""
    )
    assert "model store" in (world.runtime.last_error or "")
    assert isinstance(world.runtime.model, LevelTrend)
    assert world.runtime.last is not None and world.runtime.last.decision.forecast is not None


def test_a_model_trained_at_another_step_is_refused_with_the_reason(
    store: DirectoryModelStore,
) -> None:
    hourly = LOAD.resample("1h").mean().loc[: pd.Timestamp(START)]
    model = LevelTrend().fit(hourly)
    store.promote(KEY, store.save(KEY, model, make_card(model, hourly, created_at=START)))
    world = World(store)
    world.run(1)
    error = world.runtime.follower.error if world.runtime.follower else None
    assert error is not None and "3600s step" in error and "300s" in error
    assert world.runtime.model_version is None


def test_without_a_store_the_runtime_fits_its_own_model() -> None:
    runtime = TargetRuntime(replace(spec()))
    assert runtime.follower is None
    runtime.warm(FrameSource({"load": LOAD}), now=START)
    model, _ = runtime.retrain(now=START)
    assert runtime.model_version is None and runtime.model is model
    assert np.isfinite(model.predict(3).mean).all()


def test_a_target_name_the_store_refuses_is_reported_not_fatal(tmp_path: Path) -> None:
    runtime = TargetRuntime(
        replace(spec(), name=TargetName("shop/" + "w" * 200)),
        models=DirectoryModelStore(tmp_path),
    )
    actuator = MemoryActuator()
    actuator.add(spec().ref, min_replicas=1, max_replicas=40)
    gathered = runtime.gather(now=START, source=FrameSource({"load": LOAD}), actuator=actuator)
    assert runtime.follower is not None
    assert "invalid target name" in (gathered.store_error or "")
