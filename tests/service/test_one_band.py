"""One band: what the API shows, the dry run plans on and an ASG's schedule carries is the band
the floor was sized on (`scaler.planning.band.calibrated_band`), for the same target and time.

A real controller (in-memory twins, virtual time) runs an ASG target with ``publishSchedule``
until live calibration is on; the app is served by uvicorn and read over HTTP. Each of the four
used to splice its own band: ``/plan?quantile=Q`` answered 500 (IndexError), the API's and the
schedule's band past the ledger's horizon were the model's own, not the floor's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from forescale.scaler.actuators.memory import MemoryActuator
from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.loop import Controller, ControlSettings
from forescale.scaler.controller.reporting import Reporter
from forescale.scaler.controller.runtime import CycleOutcome, TargetRuntime
from forescale.scaler.controller.schedule import floors_from_forecast
from forescale.scaler.controller.targets import StaticTargets
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.domain import AsgRef, Mode, TargetRef, TargetSpec
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.planning.band import CALIBRATED
from forescale.scaler.records import DecisionRecord
from forescale.scaler.store.memory import MemoryRecordStore
from forescale.service.app import create_app
from forescale.service.server import ApiServer
from tests.scaler.controller.world import STEP, at, daily_load, spec

REF = AsgRef(name="web", region="eu-west-1")
BUCKET = timedelta(minutes=15)
TOKEN = "a-viewer-token-long-enough-0123456789"
LAG = 2 * STEP
"""Prometheus's newest sample trails the clock (scrape interval, rate windows): the forecast
starts before now and the plan's window lies past the ledger's horizon, as in production."""


class SchedulingTwin(MemoryActuator):
    """The ASG twin, keeping every schedule as it was asked to publish it (before clamping)."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[datetime, list[tuple[datetime, int]]]] = []

    def publish_schedule(  # type: ignore[override]
        self, ref: TargetRef, floors: Sequence[tuple[datetime, int]], *, now: datetime,
        until: datetime | None = None, dry_run: bool = False,
    ) -> int:  # fmt: skip
        self.published.append((now, list(floors)))
        return super().publish_schedule(ref, floors, now=now, until=until, dry_run=dry_run)


@dataclass
class Running:
    controller: Controller
    actuator: SchedulingTwin
    decided: dict[datetime, CycleOutcome]
    http: httpx.Client
    spec: TargetSpec


@pytest.fixture
def running() -> Iterator[Running]:
    # Tuning off: three days of history are too few to tune on, and this is about the band.
    target = replace(spec("web", model="ridge"), ref=REF, publish_schedule=True, tuning=None)
    clock = VirtualClock(at(7))
    actuator = SchedulingTwin()
    actuator.add(REF, min_replicas=2, max_replicas=40)
    decided: dict[datetime, CycleOutcome] = {}

    def keep(runtime: TargetRuntime, outcome: CycleOutcome, _: DecisionRecord) -> None:
        decided[outcome.decision.plan.at] = outcome

    controller = Controller(
        targets=StaticTargets([target]),
        source=FrameSource({target.query: daily_load(noise=80.0)}, now=lambda: clock.now() - LAG),
        actuators={"asg": actuator},
        clock=clock,
        settings=ControlSettings(interval_seconds=STEP.total_seconds()),
        reporter=Reporter(on_decision=keep),
    )
    # Cycles at the clock's time, the clock left at the last one: the API's "now" is that cycle's.
    for _ in range(int(timedelta(hours=6) / STEP)):
        clock.advance(STEP)
        controller.run_once()
    settings = ApiSettings(viewer_tokens=[SecretStr(TOKEN)])
    app = create_app(
        LiveView(controller), MemoryRecordStore(), settings=settings,
        registry=CollectorRegistry(), clock=clock,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with (
        ApiServer(app) as server,
        httpx.Client(
            base_url=f"{server.url}/v1/targets/{target.name}", headers=headers, timeout=10
        ) as http,
    ):
        yield Running(controller, actuator, decided, http, target)


def get(running: Running, path: str) -> Any:
    reply = running.http.get(path)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_the_api_forecast_band_is_the_band_the_floor_was_sized_on(running: Running) -> None:
    last = running.decided[max(running.decided)]
    sized = last.decision.forecast
    assert sized is not None and CALIBRATED in sized.notes  # live calibration is in use
    assert last.decision.plan.mode is Mode.PREDICTIVE
    band = sized.quantile(0.9)

    shown = get(running, f"/forecast?horizon_steps={len(band)}&quantile=0.9")

    assert [p["at"] for p in shown["points"]] == [
        ts.isoformat().replace("+00:00", "Z") for ts in sized.index
    ]
    assert np.allclose([p["upper"] for p in shown["points"]], band, rtol=1e-12, atol=0)
    assert np.allclose([p["mean"] for p in shown["points"]], sized.mean, rtol=1e-12, atol=0)


@pytest.mark.parametrize("asked", ["", "?quantile=0.9"])
def test_the_dry_run_at_the_sized_quantile_plans_on_the_floors_band(
    running: Running, asked: str
) -> None:
    cycle = running.decided[max(running.decided)].decision.plan

    dry = get(running, f"/plan{asked}")

    assert dry["forecast_peak"] == pytest.approx(cycle.forecast_peak, rel=1e-12)
    assert dry["window"]["start"] == cycle.window_start.isoformat().replace("+00:00", "Z")
    assert dry["predictive"] == cycle.predictive and dry["quantile"] == 0.9
    assert dry["floor"] == cycle.floor  # settled by the same floor hysteresis


def test_the_dry_run_at_another_quantile_answers_with_the_apis_band_for_it(
    running: Running,
) -> None:
    dry = get(running, "/plan?quantile=0.97")
    start = datetime.fromisoformat(dry["window"]["start"])
    end = datetime.fromisoformat(dry["window"]["end"])
    shown = get(running, "/forecast?horizon_steps=12&quantile=0.97")

    in_window = [
        p["upper"] for p in shown["points"] if start < datetime.fromisoformat(p["at"]) <= end
    ]
    assert dry["forecast_peak"] == pytest.approx(max(in_window), rel=1e-12)
    assert dry["quantile"] == 0.97
    at_09 = get(running, "/plan?quantile=0.9")["forecast_peak"]
    assert dry["forecast_peak"] > at_09  # a higher quantile, a higher band


def test_the_asg_schedule_is_sized_on_the_floors_band(running: Running) -> None:
    published_at, floors = running.actuator.published[-1]
    sized = running.decided[published_at].decision.forecast
    assert sized is not None and CALIBRATED in sized.notes

    expected = floors_from_forecast(sized, policy=running.spec.policy, bucket=BUCKET)
    starts = [sized.index[0].to_pydatetime() + k * BUCKET for k in range(4)]  # the whole hour

    def in_force(plan: list[tuple[datetime, int]], moment: datetime) -> int:
        return [floor for at, floor in plan if at <= moment][-1]

    assert [in_force(floors, s) for s in starts] == [in_force(expected, s) for s in starts]
    assert floors[-1][0] - floors[0][0] >= timedelta(hours=2)  # and it reaches hours further
