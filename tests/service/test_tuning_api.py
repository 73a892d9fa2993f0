"""Self-tuning is visible: in the target's status, the CRD status, the metric and over HTTP.

A real controller (in-memory twins, virtual time, 5-minute steps) runs one HPA target until it
has recorded two days of forecasts and refitted; the tuner then runs on that history. Before
that, ``/tuning`` says why there is nothing yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from forescale.scaler.actuators.memory import MemoryActuator
from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.loop import Controller, ControlSettings
from forescale.scaler.controller.reporting import Reporter, status_of
from forescale.scaler.controller.runtime import CycleOutcome, TargetRuntime
from forescale.scaler.controller.targets import StaticTargets
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.records import DecisionRecord
from forescale.scaler.store.memory import MemoryRecordStore
from forescale.scaler.telemetry import Telemetry
from forescale.service.app import create_app
from forescale.service.server import ApiServer
from tests.scaler.controller.world import START, STEP, daily_load, spec

TOKEN = "a-viewer-token-long-enough-0123456789"
PAGE = "/targets/shop/web"


@dataclass
class World:
    controller: Controller
    clock: VirtualClock
    http: httpx.Client
    last: dict[str, CycleOutcome]
    registry: CollectorRegistry

    def run(self, duration: timedelta) -> None:
        for _ in range(int(duration / STEP)):
            self.clock.advance(STEP)
            self.controller.run_once()


@pytest.fixture
def world() -> Iterator[World]:
    target = spec("web", model="seasonal_naive")
    clock = VirtualClock(START)
    actuator = MemoryActuator()
    actuator.add(target.ref, min_replicas=1, max_replicas=40)
    last: dict[str, CycleOutcome] = {}

    def keep(runtime: TargetRuntime, outcome: CycleOutcome, _: DecisionRecord) -> None:
        last["outcome"] = outcome

    registry = CollectorRegistry()
    controller = Controller(
        targets=StaticTargets([target]),
        source=FrameSource({target.query: daily_load(days=8, noise=60.0)}, now=clock.now),
        actuators={"hpa": actuator},
        clock=clock,
        settings=ControlSettings(interval_seconds=STEP.total_seconds()),
        reporter=Reporter(on_decision=keep, telemetry=Telemetry(registry=registry)),
    )
    app = create_app(
        LiveView(controller), MemoryRecordStore(),
        settings=ApiSettings(viewer_tokens=[SecretStr(TOKEN)]),
        registry=CollectorRegistry(), clock=clock,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with (
        ApiServer(app) as server,
        httpx.Client(base_url=f"{server.url}/v1/targets", headers=headers, timeout=10) as http,
    ):
        yield World(controller, clock, http, last, registry)


def test_tuning_is_explained_before_it_exists_and_shown_everywhere_once_it_ran(
    world: World,
) -> None:
    world.run(timedelta(hours=6))
    early = world.http.get("/shop/web/tuning")
    assert early.status_code == 409, (early.status_code, early.headers, early.text)
    assert "not been tuned yet" in early.json()["detail"]
    assert world.http.get("/shop/web").json()["tuning"] is None
    early_page = world.http.get(world.http.base_url.join(PAGE))
    assert early_page.status_code == 200, (early_page.headers, early_page.url)
    assert 'id="frontier"' not in early_page.text

    world.run(timedelta(days=3))

    shown: dict[str, Any] = world.http.get("/shop/web/tuning").json()
    assert shown["objective"] == "same-as-hpa"
    assert len(shown["frontier"]) == 14 and len(shown["candidates"]) >= 5
    assert shown["reason"] and "days" in shown["reason"]
    assert shown["hpaReplicaHours"] > 0 and -1 < shown["expectedSavings"] < 1
    assert shown["recommendedTargetUtilization"] == 0.8  # fixed mode: the user's target
    status = world.http.get("/shop/web").json()
    assert status["tuning"]["setting"] == shown["setting"]
    assert status["tuning"]["tunedAt"] == shown["tunedAt"]

    runtime = world.controller.runtime("shop/web")
    crd = status_of(runtime, world.last["outcome"], now=world.clock.now())
    assert crd["tuning"]["setting"] == shown["setting"]  # the kubectl column's source
    savings = world.registry.get_sample_value(
        "forescale_expected_savings_ratio", {"target": "shop/web"}
    )
    assert savings == pytest.approx(shown["expectedSavings"])
    page = world.http.get(world.http.base_url.join(PAGE))
    assert page.status_code == 200, page.text
    assert 'id="tuning"' in page.text and shown["setting"] in page.text
    assert (
        'id="frontier"' in page.text and page.text.count("<circle") == len(shown["candidates"]) + 1
    )
    if not shown["predictive"]:  # do no harm: the floor is off and the mode says why
        assert status["mode"] == "reactive"
        assert status["mode_reason"].startswith("forecasting did not pay here")
