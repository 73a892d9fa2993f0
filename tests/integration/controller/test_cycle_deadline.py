"""A hanging Prometheus bounds nothing but its own target (issue 17 item 4).

The production `PrometheusSource` reads a stand-in that can hang per query; floors land on the
Kubernetes-API test server. Before the fix the reads ran one after the other with no deadline
(two hanging targets: one timeout each, back to back; a cycle of many had no end), SIGTERM
waited for the whole cycle before giving floors back, and leadership was read once per cycle,
so a cycle that outlived the Lease still wrote.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.metrics.prometheus import PrometheusSource
from tests.integration.controller.cluster import (
    BASELINES,
    FLOORS,
    HPA_PATH,
    STEP,
    KubeController,
    control,
    elect,
    min_replicas,
    pa,
    seed_shop,
    status,
)
from tests.integration.kube.server import KubeApiServer
from tests.integration.prometheus.standin import PromStandIn, Reply

pytestmark = pytest.mark.kube

WEB, API = (pa(name)["spec"]["query"] for name in ("web", "api"))
HANG = 30.0  # longer than any deadline below: the reply that never comes in time
DEADLINE = 1.5
FAILURES = 3  # the default failure threshold


def hang(real: dict[str, object]) -> Reply:
    return Reply(real, delay=HANG)


@pytest.fixture
def source(standin: PromStandIn) -> Iterator[PrometheusSource]:
    prometheus = PrometheusSource.from_url(standin.url, timeout=HANG + 5, retries=0)
    yield prometheus
    prometheus.close()


def replica(kube: KubeApiServer, clock: VirtualClock, source: PrometheusSource,
            deadline: float = DEADLINE) -> KubeController:  # fmt: skip
    settings = dataclasses.replace(control(), cycle_deadline_seconds=deadline)
    return KubeController(kube.url, clock, source=source, settings=settings)


def test_a_hanging_read_is_skipped_at_the_deadline_and_its_target_falls_back_alone(
    kube: KubeApiServer, clock: VirtualClock, standin: PromStandIn, source: PrometheusSource
) -> None:
    seed_shop(kube)
    ctl = replica(kube, clock, source)
    ctl.run_once()
    assert min_replicas(kube, "web") == FLOORS["web"]

    standin.fault(WEB, hang)
    seconds, modes = [], []
    for _ in range(FAILURES):
        clock.advance(STEP)
        began = time.monotonic()
        report = ctl.run_once()
        seconds.append(time.monotonic() - began)
        assert "shop/api" in report.outcomes  # decided and acted within the deadline
        assert "did not return" not in report.errors.get("shop/api", "")
        modes.append(status(kube, "web")["mode"])

    assert max(seconds) < DEADLINE + 1.0  # not HANG: the cycle ends at its deadline
    assert modes == ["degraded"] * (FAILURES - 1) + ["reactive"]
    assert min_replicas(kube, "web") == BASELINES["web"]  # its floor given back
    assert min_replicas(kube, "api") == FLOORS["api"]
    assert status(kube, "web")["lastError"].startswith("CycleTimeout: not decided: its previous "
                                                       "read has not returned")  # fmt: skip
    assert standin.requests.count(WEB) == 2  # the warm start, then the one read still hanging
    ctl.close()


def test_the_targets_are_read_at_once_not_one_after_the_other(
    kube: KubeApiServer, clock: VirtualClock, standin: PromStandIn, source: PrometheusSource
) -> None:
    seed_shop(kube)
    ctl = replica(kube, clock, source, deadline=10.0)
    ctl.run_once()
    slow = 1.5
    standin.fault("*", lambda real: Reply(real, delay=slow))
    clock.advance(STEP)

    began = time.monotonic()
    report = ctl.run_once()

    assert sorted(report.outcomes) == ["shop/api", "shop/web"]
    assert time.monotonic() - began < 2 * slow  # both waits overlapped
    ctl.close()


def test_sigterm_during_a_hanging_cycle_gives_the_floors_back_at_once(
    kube: KubeApiServer, clock: VirtualClock, standin: PromStandIn, source: PrometheusSource
) -> None:
    seed_shop(kube)
    ctl = replica(kube, clock, source, deadline=HANG)
    ctl.run_once()
    assert min_replicas(kube, "web") == FLOORS["web"]
    standin.fault("*", hang)
    clock.advance(STEP)
    stop = threading.Event()
    loop = threading.Thread(target=ctl.controller.run_forever, args=(stop,))
    loop.start()
    time.sleep(0.5)  # the cycle is waiting on both reads

    began = time.monotonic()
    stop.set()  # what the SIGTERM handler of `forescale run` does
    loop.join(timeout=HANG)

    assert not loop.is_alive() and time.monotonic() - began < 3.0
    assert min_replicas(kube, "web") == BASELINES["web"]
    assert min_replicas(kube, "api") == BASELINES["api"]
    ctl.close()


def test_a_write_after_the_lease_lapsed_mid_cycle_is_not_made(
    kube: KubeApiServer, clock: VirtualClock, standin: PromStandIn, source: PrometheusSource
) -> None:
    seed_shop(kube)
    a, b = (
        KubeController(kube.url, clock, identity=f"forescale-{n}", leader_election=True,
                       source=source)
        for n in "ab"
    )  # fmt: skip
    elect(a, b)
    decided: list[str] = []

    def slow_first_write(runtime: object, *_: object) -> None:
        decided.append(str(getattr(runtime, "spec").name))  # noqa: B009
        if len(decided) == 1:  # the first target's write took 11 s: past the renew deadline
            clock.advance(timedelta(seconds=11))

    a.controller.reporter.on_decision = slow_first_write
    patches = len(kube.requests_to("PATCH", HPA_PATH))
    report = a.run_once()

    assert report.leader  # it led when the cycle began
    first, second = decided
    assert min_replicas(kube, first.split("/")[1]) == FLOORS[first.split("/")[1]]
    assert min_replicas(kube, second.split("/")[1]) == BASELINES[second.split("/")[1]]
    assert report.outcomes[second].dry_run and len(kube.requests_to("PATCH", HPA_PATH)) > patches
    a.close()
    b.close()


def test_a_target_the_deadline_left_undecided_goes_first_in_the_next_cycle(
    kube: KubeApiServer, clock: VirtualClock, standin: PromStandIn, source: PrometheusSource
) -> None:
    """Deciding takes longer than the deadline (here: half a second a target against 0.4 s).
    Targets were decided in the same order every cycle, so the one after the deadline was
    skipped every time: never decided, never counted as troubled, its floor frozen."""
    seed_shop(kube)
    ctl = replica(kube, clock, source, deadline=0.4)
    ctl.controller.reporter.on_decision = lambda *_: time.sleep(0.5)
    decided: list[list[str]] = []
    for _ in range(3):
        report = ctl.run_once()
        decided.append(sorted(report.outcomes))
        assert len(report.outcomes) == 1 and len(report.skipped) == 1  # one a cycle, in time
        clock.advance(STEP)

    assert decided[1] != decided[0] and decided[2] == decided[0]  # in turn, none starved
    assert {min_replicas(kube, "web"), min_replicas(kube, "api")} == {FLOORS["web"],
                                                                      FLOORS["api"]}  # fmt: skip
    ctl.close()
