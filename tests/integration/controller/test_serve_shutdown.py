"""SIGTERM on ``forescale run``: floors are given back *before* the Lease is released.

In order: the loop finishes its cycle, restores the floors while still the leader, then releases
the Lease so a peer takes over at once. Released first, the controller would no longer be the
leader when it comes to restore, and the floors would stay raised with nobody owning them.
"""

from __future__ import annotations

import os
import signal
import threading
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry

from forescale.scaler.cli.run import serve
from forescale.scaler.clock import SystemClock
from forescale.scaler.config.settings import ForescaleSettings
from forescale.scaler.controller.runtime import CycleOutcome, TargetRuntime
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.records import DecisionRecord
from forescale.scaler.store.memory import MemoryRecordStore
from forescale.scaler.telemetry import Telemetry
from forescale.scaler.wiring import Assembly
from tests.integration.controller.cluster import (
    BASELINES,
    FLOORS,
    LOADS,
    STEP,
    KubeController,
    min_replicas,
    pa,
    seed_shop,
)
from tests.integration.kube.resources import LEASE
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube


def live_source(clock: SystemClock) -> FrameSource:
    """The flat loads, over three days up to now (a real clock here: serve() runs real threads)."""
    now = clock.now()
    index = pd.date_range(now - timedelta(days=3), now + timedelta(hours=1), freq=STEP)
    index = index.floor(STEP)
    series = {
        pa(name)["spec"]["query"]: pd.Series(np.full(len(index), level), index=index)
        for name, level in LOADS.items()
    }
    return FrameSource(series, now=clock.now)


def holder(kube: KubeApiServer) -> str:
    return str(kube.store.get(LEASE, "forescale", "forescale-controller")["spec"].get(
        "holderIdentity") or "")  # fmt: skip


def test_sigterm_restores_the_floors_before_the_lease_is_released(kube: KubeApiServer) -> None:
    seed_shop(kube)
    clock = SystemClock()
    ctl = KubeController(kube.url, clock, leader_election=True, source=live_source(clock))
    assert ctl.elector is not None and ctl.elector.try_acquire_or_renew()
    registry = CollectorRegistry()
    assembly = Assembly(
        controller=ctl.controller, view=LiveView(ctl.controller), store=MemoryRecordStore(),
        telemetry=Telemetry(registry), registry=registry, leader=ctl.elector,
    )  # fmt: skip
    raised: list[tuple[str, int]] = []
    signalled = threading.Event()

    def sigterm_mid_cycle(runtime: TargetRuntime, outcome: CycleOutcome, _: DecisionRecord) -> None:
        if signalled.is_set():
            return
        name = runtime.spec.ref.name  # the first target of the cycle: its floor is written
        raised.append((name, min_replicas(kube, name)))
        signalled.set()
        os.kill(os.getpid(), signal.SIGTERM)  # while other targets still have to be cycled
        for _ in range(50):  # give the elector thread its chance to (wrongly) release first
            if not holder(kube) or threading.Event().wait(0.01):
                break

    ctl.controller.reporter.on_decision = sigterm_mid_cycle
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = serve(assembly, ForescaleSettings(), launcher=None)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        ctl.close()

    assert code == 0 and raised == [("api", FLOORS["api"])]
    assert min_replicas(kube, "web") == BASELINES["web"]
    assert min_replicas(kube, "api") == BASELINES["api"]
    assert holder(kube) == ""  # and then the Lease was given up for a peer
