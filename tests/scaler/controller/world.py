"""A small world for controller tests: the real `Controller` over the in-memory twins.

`World` wires a `Controller` to a `FrameSource` that hides the future, a `SimulatedCluster` (an
HPA port per workload above the floor written through its `MemoryActuator`), `StaticTargets`, a
`MemoryRecordStore` and a `LiveView`, all on one `VirtualClock`. `tick()` is one control cycle
followed by one interval of virtual time for the cluster; ``floors`` logs the floor each object
carried after every cycle, so a test can say *when* a floor rose.

The load is hand-made: a quiet base with one smooth peak a day at ``PEAK_HOUR``. With the
``seasonal_naive`` model (yesterday, same time) the forecast is exact, so every number a test
asserts follows from the load by arithmetic, not from model luck.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from forescale.scaler.actuators.memory import MemoryActuator
from forescale.scaler.clock import VirtualClock
from forescale.scaler.controller.loop import Controller, ControlSettings, CycleReport
from forescale.scaler.controller.reporting import Reporter
from forescale.scaler.controller.runtime import RuntimeSettings
from forescale.scaler.controller.targets import StaticTargets, TargetProvider
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.domain import HpaRef, ScalingPolicy, ScheduledFloor, TargetName, TargetSpec
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.planning.fallback import FallbackSettings
from forescale.scaler.planning.hysteresis import FloorHysteresis
from forescale.scaler.simulate.cluster import SimulatedCluster, SimulatedWorkload
from forescale.scaler.store.memory import MemoryRecordStore
from forescale.scaler.telemetry import Telemetry
from forescale.scaler.tuning.config import TuningConfig

STEP = timedelta(minutes=5)
START = datetime(2026, 3, 2, tzinfo=UTC)
"""Midnight UTC, a Monday: the first controlled moment."""
WARM = timedelta(days=3)
"""History that exists before START (warm start: seasonal_naive at 5 m needs 2 days)."""
BASE, PEAK, PEAK_HOUR = 200.0, 1800.0, 14.0
CAPACITY, UTILIZATION = 100.0, 0.8
LEAD = timedelta(minutes=15)
HPA_MIN, HPA_MAX = 2, 40


def daily_load(
    *, days: float = 6.0, base: float = BASE, peak: float = PEAK, noise: float = 0.0, seed: int = 0
) -> pd.Series:
    """``base`` plus a smooth ``peak`` (sd 45 min) every day at PEAK_HOUR, from START - WARM.

    ``noise`` > 0 adds seeded Gaussian noise of that standard deviation (quantile bands then
    differ from the mean)."""
    index = pd.date_range(START - WARM, periods=int(timedelta(days=days) / STEP), freq=STEP)
    hours = np.asarray(index.hour + index.minute / 60, dtype=float)
    load = base + peak * np.exp(-0.5 * ((hours - PEAK_HOUR) / 0.75) ** 2)
    if noise > 0:
        load = load + np.random.default_rng(seed).normal(0.0, noise, len(index))
    return pd.Series(np.maximum(load, 0.0), index=index)


def needed(load: float) -> int:
    """Replicas the planner asks for ``load`` (capacity x utilisation per replica)."""
    return math.ceil(load / (CAPACITY * UTILIZATION) - 1e-9)


def spec(
    name: str = "web",
    *,
    namespace: str = "shop",
    hpa: str | None = None,
    query: str | None = None,
    forecast_only: bool = False,
    scheduled: Sequence[ScheduledFloor] = (),
    model: str = "seasonal_naive",
) -> TargetSpec:
    """A target on HPA ``namespace/(hpa or name)`` reading query ``load:<name>``."""
    return TargetSpec(
        name=TargetName(f"{namespace}/{name}"),
        ref=HpaRef(namespace=namespace, name=hpa or name),
        query=query or f"load:{name}",
        policy=ScalingPolicy(
            capacity_per_replica=CAPACITY,
            target_utilization=UTILIZATION,
            min_replicas=1,
            max_replicas=HPA_MAX,
            lead_time=LEAD,
            interval=STEP,
            scheduled_floors=tuple(scheduled),
        ),
        model=model,
        forecast_only=forecast_only,
        step=STEP,
        history=WARM,
    )


def settings(
    *,
    dry_run: bool = False,
    restore_on_shutdown: bool = True,
    failure_threshold: int = 3,
    recovery_threshold: int = 5,
    hysteresis: FloorHysteresis | None = None,
    shadow_start: bool = False,
) -> ControlSettings:
    """Hysteresis is off unless given: without it each floor is the plan's arithmetic (with it,
    floors depend on the path taken; tests of hysteresis in the controller pass it). Shadow
    start is off unless asked for: these worlds have three days of history, and the tests are
    about what a floor does, not about whether forecasting pays (`test_shadow_start` is)."""
    return ControlSettings(
        interval_seconds=STEP.total_seconds(),
        dry_run=dry_run,
        restore_on_shutdown=restore_on_shutdown,
        runtime=RuntimeSettings(
            fallback=FallbackSettings(
                failure_threshold=failure_threshold, recovery_threshold=recovery_threshold
            ),
            floor_hysteresis=hysteresis or FloorHysteresis.off(),
            tuning=TuningConfig(shadow_start=shadow_start),
        ),
    )


class World:
    """See the module docstring. ``loads`` maps queries to series; workloads are created for
    every spec whose HPA is not listed in ``missing``; the metrics source does not know the
    queries in ``unanswered`` (their workloads still get the load); the clock starts at
    ``start`` (a later start than START skips quiet hours a test does not need)."""

    def __init__(
        self,
        specs: Sequence[TargetSpec],
        *,
        loads: dict[str, pd.Series] | None = None,
        control: ControlSettings | None = None,
        targets: TargetProvider | None = None,
        actuator: MemoryActuator | None = None,
        missing: Sequence[str] = (),
        unanswered: Sequence[str] = (),
        leader: bool = True,
        start: datetime = START,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.clock = VirtualClock(start)
        loads = loads if loads is not None else {s.query: daily_load() for s in specs}
        served = {query: load for query, load in loads.items() if query not in unanswered}
        self.source = FrameSource(served, now=self.clock.now)
        self.cluster = SimulatedCluster(actuator)
        for s in specs:
            if str(s.ref) in self.cluster.actuator.objects or s.ref.name in missing:
                continue
            self._add_workload(s, loads[s.query])
        self.static = targets if targets is not None else StaticTargets(specs)
        self.store = MemoryRecordStore()
        self.leader = leader
        self.controller = Controller(
            targets=self.static,
            source=self.source,
            actuators={"hpa": self.actuator},
            clock=self.clock,
            settings=control or settings(),
            reporter=Reporter(
                recorder=self.store, status=self.static.write_status, telemetry=telemetry
            ),
            is_leader=lambda: self.leader,
        )
        self.view = LiveView(self.controller)
        self.floors: list[tuple[datetime, dict[str, int]]] = []

    def _add_workload(self, s: TargetSpec, load: pd.Series) -> None:
        workload = SimulatedWorkload(
            ref=s.ref, load=load, capacity=CAPACITY, target_utilization=UTILIZATION, startup=LEAD
        )
        self.cluster.add(workload, min_replicas=HPA_MIN, max_replicas=HPA_MAX)

    @property
    def actuator(self) -> MemoryActuator:
        return self.cluster.actuator

    def floor(self, hpa: str = "web", namespace: str = "shop") -> int:
        """``minReplicas`` on the HPA now."""
        return self.actuator.objects[str(HpaRef(namespace=namespace, name=hpa))].min_replicas

    def tick(self) -> CycleReport:
        """One control cycle, then one interval of virtual time for the cluster."""
        report = self.controller.run_once()
        self.floors.append(
            (report.at, {key: obj.min_replicas for key, obj in self.actuator.objects.items()})
        )
        self.clock.advance(STEP)
        self.cluster.advance(self.clock.now())
        return report

    def run(self, duration: timedelta) -> list[CycleReport]:
        return [self.tick() for _ in range(int(duration / STEP))]

    def run_until(self, moment: datetime) -> list[CycleReport]:
        return self.run(moment - self.clock.now())


def at(hour: float, *, day: int = 0) -> datetime:
    """``hour`` o'clock on day ``day`` of the controlled period."""
    return START + timedelta(days=day, hours=hour)


def with_policy(target: TargetSpec, **changes: object) -> TargetSpec:
    """``target`` with its `ScalingPolicy` fields changed."""
    return replace(target, policy=replace(target.policy, **changes))  # type: ignore[arg-type]


__all__ = [
    "BASE",
    "CAPACITY",
    "HPA_MAX",
    "HPA_MIN",
    "LEAD",
    "PEAK",
    "PEAK_HOUR",
    "START",
    "STEP",
    "World",
    "at",
    "daily_load",
    "needed",
    "settings",
    "spec",
    "with_policy",
]
