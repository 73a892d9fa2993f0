"""The demo scenario: the real controller loop on the bundled NASA trace, in virtual time.

Two targets on one in-memory cluster, fed by the same 1995 NASA web-server traffic:

- ``demo/nasa-web``: an HPA-scaled web tier (5-minute pod start-up);
- ``demo/nasa-batch``: an EC2 Auto Scaling group serving 3x that load (10-minute instance warm-up).

The controller reads load through the in-memory metrics twin (which hides the future), writes
floors through the in-memory actuator, and the HPA port scales the simulated workloads above
those floors every 15 s. It starts with 11 days of history (warm start, as from Prometheus) and
replays two days that include the STS-70 shuttle launch flash crowd of 13 July 1995.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry

from forescale.models.datasets import load_example
from forescale.scaler.clock import VirtualClock
from forescale.scaler.controller.loop import Controller, ControlSettings, CycleReport
from forescale.scaler.controller.prediction import RuntimeSettings
from forescale.scaler.controller.reporting import DecisionListener, Reporter
from forescale.scaler.controller.targets import StaticTargets
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.domain import AsgRef, HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.planning.hysteresis import FloorHysteresis
from forescale.scaler.simulate.cluster import SimulatedCluster, SimulatedWorkload
from forescale.scaler.simulate.replay import replay_reactive
from forescale.scaler.simulate.workload import Figures, oracle_requested, score, startup_steps
from forescale.scaler.store.memory import MemoryRecordStore
from forescale.scaler.telemetry import Telemetry

__all__ = ["Demo", "DemoTarget", "build_demo"]

STEP = timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoTarget:
    spec: TargetSpec
    load: pd.Series
    startup: timedelta


class Demo:
    def __init__(
        self,
        *,
        targets: list[DemoTarget],
        start: datetime,
        end: datetime,
        on_decision: DecisionListener | None = None,
        floor_hysteresis: FloorHysteresis | None = None,
    ) -> None:
        """``floor_hysteresis``: the controller's default unless given (benchmarks compare)."""
        self.targets, self.start, self.end = targets, start, end
        self.clock = VirtualClock(start)
        self.registry = CollectorRegistry()
        self.store = MemoryRecordStore()
        self.cluster = SimulatedCluster()
        series = {t.spec.query: t.load for t in targets}
        for t in targets:
            p = t.spec.policy
            self.cluster.add(
                SimulatedWorkload(
                    ref=t.spec.ref,
                    load=t.load,
                    capacity=p.capacity_per_replica,
                    target_utilization=p.target_utilization,
                    startup=t.startup,
                ),
                min_replicas=p.min_replicas,
                max_replicas=p.max_replicas,
            )
        reporter = Reporter(
            telemetry=Telemetry(self.registry),
            recorder=self.store,
            on_decision=on_decision,
            record_every=timedelta(minutes=5),
        )
        actuators = {"hpa": self.cluster.actuator, "asg": self.cluster.actuator}
        self.controller = Controller(
            targets=StaticTargets([t.spec for t in targets]),
            source=FrameSource(series, now=self.clock.now), actuators=actuators,
            clock=self.clock, settings=ControlSettings(
                interval_seconds=60.0,
                runtime=RuntimeSettings(floor_hysteresis=floor_hysteresis or FloorHysteresis()),
            ),
            reporter=reporter,
        )  # fmt: skip
        self.view = LiveView(self.controller)

    @property
    def done(self) -> bool:
        return self.clock.now() >= self.end

    def tick(self) -> CycleReport:
        """One controller cycle, then one minute of virtual time for the cluster."""
        report = self.controller.run_once()
        self.clock.advance(STEP)
        self.cluster.advance(self.clock.now())
        return report

    def summary(self) -> dict[str, dict[str, Figures]]:
        """Per target: ``predictive`` (what the cluster did with Forescale), ``reactive`` (the
        HPA alone) and ``oracle``, named as `forescale simulate` names them."""
        out: dict[str, dict[str, Figures]] = {}
        for t in self.targets:
            p = t.spec.policy
            ran = self.cluster.requested_series(str(t.spec.ref), step=STEP)
            ran = ran.loc[
                (ran.index >= pd.Timestamp(self.start)) & (ran.index < pd.Timestamp(self.end))
            ]
            load = t.load.reindex(ran.index).to_numpy(dtype=float)
            index = pd.DatetimeIndex(ran.index)
            startup = startup_steps(t.startup, STEP)
            reactive = replay_reactive(load, index, p)
            oracle = oracle_requested(
                load=load,
                capacity=p.capacity_per_replica,
                startup=startup,
                min_replicas=p.min_replicas,
            )
            requested = {
                "predictive": ran.to_numpy(dtype=np.int64),
                "reactive": reactive,
                "oracle": oracle,
            }
            out[str(t.spec.name)] = {
                name: score(load=load, requested=req, capacity=p.capacity_per_replica,
                            startup=startup, step=STEP)
                for name, req in requested.items()
            }  # fmt: skip
        return out


def build_demo(
    *,
    days: float = 2.0,
    on_decision: DecisionListener | None = None,
    floor_hysteresis: FloorHysteresis | None = None,
) -> Demo:
    """The default scenario (see the module docstring)."""
    y = load_example("nasa")
    start = pd.Timestamp("1995-07-12T04:00:00Z").to_pydatetime()
    end = min(start + timedelta(days=days), y.index[-1].to_pydatetime())
    capacity = float(np.nanpercentile(y.to_numpy(dtype=float), 99) / 20)
    web = TargetSpec(
        name=TargetName("demo/nasa-web"), ref=HpaRef(namespace="demo", name="nasa-web"),
        query='sum(rate(http_requests_total{job="nasa-web"}[1m])) * 60',
        policy=ScalingPolicy(capacity_per_replica=round(capacity, 2), min_replicas=2,
                             max_replicas=80, lead_time=timedelta(minutes=5)),
    )  # fmt: skip
    batch = TargetSpec(
        name=TargetName("demo/nasa-batch"),
        ref=AsgRef(name="nasa-batch", region="us-east-1"),
        publish_schedule=True,
        query='sum(rate(batch_items_total{group="nasa-batch"}[1m])) * 60',
        policy=ScalingPolicy(capacity_per_replica=round(capacity * 6, 2), min_replicas=1,
                             max_replicas=40, lead_time=timedelta(minutes=10)),
    )  # fmt: skip
    targets = [
        DemoTarget(spec=web, load=y, startup=timedelta(minutes=5)),
        DemoTarget(spec=batch, load=y * 3.0, startup=timedelta(minutes=10)),
    ]
    return Demo(
        targets=targets, start=start, end=end, on_decision=on_decision,
        floor_hysteresis=floor_hysteresis,
    )  # fmt: skip


def ratio(a: float, b: float) -> str:
    return "n/a" if b == 0 or math.isnan(b) else f"{a / b:.2f}"
