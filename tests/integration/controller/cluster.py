"""A real controller wired to the Kubernetes test API server, in virtual time.

`KubeController` is what `scaler.wiring.build` assembles for ``kubernetes.enabled``, minus
Prometheus: the official client over HTTP, `HpaActuator`, `KubeTargetSource` (PredictiveAutoscaler
objects and their status), `EventRecorder` and optionally a `LeaderElector`, driving a
`Controller` whose load comes from an in-memory `FrameSource`. Several can share one server (two
replicas) and one `VirtualClock` (one world time).

The seeded world: HPAs ``shop/web`` (minReplicas 2) and ``shop/api`` (minReplicas 1), each with
a PredictiveAutoscaler reading a flat load, so the floors are plain arithmetic: ``web`` needs
ceil(1000 / 80) = 13 replicas, ``api`` ceil(400 / 80) = 5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from forescale.scaler.clock import Clock, VirtualClock
from forescale.scaler.controller.loop import Controller, ControlSettings, CycleReport
from forescale.scaler.controller.reporting import Reporter
from forescale.scaler.controller.runtime import RuntimeSettings
from forescale.scaler.controller.sharding import Ownership
from forescale.scaler.controller.targets import TargetProvider
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.kube import (
    EventRecorder,
    HpaActuator,
    KubeApi,
    KubeTargetSource,
    LeaderElector,
    LeaseConfig,
    build_api_client,
)
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.planning.fallback import FallbackSettings
from forescale.scaler.records import Recorder
from forescale.scaler.telemetry import Telemetry
from forescale.scaler.tuning.config import TuningConfig
from tests.integration.kube.objects import hpa_manifest, pa_manifest, seed
from tests.integration.kube.resources import EVENT, HPA, PREDICTIVE_AUTOSCALER
from tests.integration.kube.server import KubeApiServer

START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)
LOADS = {"web": 1000.0, "api": 400.0}
FLOORS = {"web": 13, "api": 5}
BASELINES = {"web": 2, "api": 1}
HPA_PATH = "/horizontalpodautoscalers/"


def flat_load(level: float, *, days: int = 3) -> pd.Series:
    index = pd.date_range(START - timedelta(days=days), START + timedelta(days=1), freq=STEP)
    return pd.Series(np.full(len(index), level), index=index)


def pa(name: str, **spec: Any) -> dict[str, Any]:
    """The PredictiveAutoscaler of HPA ``shop/name`` (5-minute steps, 3 days of history)."""
    fields: dict[str, Any] = {
        "query": f'sum(rate(requests_total{{service="{name}"}}[5m])) * 60',
        "capacityPerReplica": 100,
        "maxReplicas": 20,
        "leadTime": "15m",
        "interval": "5m",
        "step": "5m",
        "history": "3d",
        "model": "seasonal_naive",
    }
    fields.update(spec)
    return pa_manifest(name, "shop", **fields)


def seed_shop(kube: KubeApiServer, *names: str) -> None:
    for name in names or tuple(LOADS):
        seed(kube, hpa_manifest(name, "shop", min_replicas=BASELINES[name], max_replicas=20,
                                current_replicas=BASELINES[name]))  # fmt: skip
        seed(kube, pa(name))


def at_cycle(clock: VirtualClock, k: int) -> None:
    """Move ``clock`` to exactly ``k`` steps after `START`, whatever happened meanwhile.

    A retried Kubernetes request sleeps its backoff on the controller's clock, which in these
    tests is the test's virtual clock: one transient 503 or one timed-out attempt on a loaded
    machine moved every later cycle 0.2 s on, and a test whose cycles sit exactly on a
    threshold (newest sample 15 min old: not yet stale) saw it crossed one cycle early.
    """
    delta = START + k * STEP - clock.now()
    assert delta > timedelta(0), f"the clock is already {-delta} past cycle {k}"
    clock.advance(delta)


def shared_source(clock: Clock) -> FrameSource:
    """The flat loads of every seeded target, read at ``clock``'s time."""
    queries = {pa(name)["spec"]["query"]: flat_load(level) for name, level in LOADS.items()}
    return FrameSource(queries, now=clock.now)


def elect(leader: KubeController, follower: KubeController) -> None:
    """``leader`` takes the Lease; ``follower`` then finds it held."""
    assert leader.elector is not None and follower.elector is not None
    assert leader.elector.try_acquire_or_renew() and not follower.elector.try_acquire_or_renew()


def control(*, dry_run: bool = False) -> ControlSettings:
    """Predictive from the first healthy cycle (these tests are about the API, not hysteresis
    or whether forecasting pays: no shadow start)."""
    fallback = FallbackSettings(recovery_threshold=1)
    return ControlSettings(
        interval_seconds=STEP.total_seconds(),
        dry_run=dry_run,
        runtime=RuntimeSettings(fallback=fallback, tuning=TuningConfig(shadow_start=False)),
    )


@dataclass
class KubeController:
    url: str
    clock: Clock
    identity: str = "forescale-0"
    timeout: float = 2.0
    leader_election: bool = False
    settings: ControlSettings = field(default_factory=control)
    source: MetricsSource | None = None
    telemetry: Telemetry | None = None
    targets_from: Callable[[KubeController], TargetProvider] | None = None
    """Where the targets come from instead of the cluster's objects (e.g. a targets file)."""
    recorder: Recorder | None = None
    ownership: Ownership | None = None
    """Sharded: the shard Leases this replica holds (`ShardLeases`)."""

    def __post_init__(self) -> None:
        self.client = build_api_client(host=self.url)
        self.api = KubeApi(self.client, timeout=self.timeout)
        self.events = EventRecorder(self.api, clock=self.clock, instance=self.identity)
        self.hpa = HpaActuator(self.api, clock=self.clock, events=self.events)
        self.targets: TargetProvider = KubeTargetSource(
            self.api, clock=self.clock, events=self.events
        )
        self.elector = (
            LeaderElector(
                self.api,
                config=LeaseConfig(namespace="forescale", identity=self.identity),
                clock=self.clock,
            )
            if self.leader_election
            else None
        )
        if self.targets_from is not None:
            self.targets = self.targets_from(self)
        self.source = self.source or shared_source(self.clock)
        self.controller = Controller(
            targets=self.targets,
            source=self.source,
            actuators={"hpa": self.hpa},
            clock=self.clock,
            settings=self.settings,
            reporter=Reporter(
                status=self.targets.write_status, telemetry=self.telemetry, recorder=self.recorder
            ),
            is_leader=self.is_leader,
            ownership=self.ownership,
        )
        self.view = LiveView(self.controller)

    def is_leader(self) -> bool:
        return self.elector.is_leader if self.elector is not None else True

    def run_once(self) -> CycleReport:
        return self.controller.run_once()

    def close(self) -> None:
        self.client.close()  # type: ignore[no-untyped-call]


def hpa(kube: KubeApiServer, name: str) -> dict[str, Any]:
    return kube.store.get(HPA, "shop", name)


def min_replicas(kube: KubeApiServer, name: str) -> int:
    return int(hpa(kube, name)["spec"]["minReplicas"])


def annotations(kube: KubeApiServer, name: str) -> dict[str, str]:
    return dict(hpa(kube, name)["metadata"].get("annotations") or {})


def status(kube: KubeApiServer, name: str) -> dict[str, Any]:
    return dict(kube.store.get(PREDICTIVE_AUTOSCALER, "shop", name).get("status") or {})


def events(kube: KubeApiServer, name: str) -> list[dict[str, Any]]:
    """Events about object ``name``, oldest first."""
    items, _ = kube.store.list(EVENT, "shop")
    about = [e for e in items if e["regarding"]["name"] == name]
    return sorted(about, key=lambda e: int(e["metadata"]["resourceVersion"]))
