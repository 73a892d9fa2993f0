"""Conflicts, outages and a slow API server: the failing target waits a cycle, the rest go on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from forescale.scaler.clock import VirtualClock
from tests.integration.controller.cluster import (
    BASELINES,
    FLOORS,
    START,
    STEP,
    KubeController,
    hpa,
    min_replicas,
    seed_shop,
    status,
)
from tests.integration.kube.resources import HPA
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

WEB_HPA = "/horizontalpodautoscalers/web$"
MERGE = "application/merge-patch+json"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def ctl(kube: KubeApiServer, clock: VirtualClock) -> Iterator[KubeController]:
    """The controller with the client's usual timeout: no request of these tests is slow."""
    seed_shop(kube)
    controller = KubeController(kube.url, clock)
    yield controller
    controller.close()


@pytest.fixture
def impatient(kube: KubeApiServer, clock: VirtualClock) -> Iterator[KubeController]:
    """A 0.3 s client timeout, for the tests about slow answers only.

    Elsewhere it would be a timing dependence: a request the test server takes longer than
    0.3 s to serve (a loaded machine) times out and is sent again, which changes the requests
    a test counts (the edit racing the floor write met its own retry: 409, 409, 200).
    """
    seed_shop(kube)
    controller = KubeController(kube.url, clock, timeout=0.3)
    yield controller
    controller.close()


def next_cycle(ctl: KubeController, clock: VirtualClock) -> None:
    clock.advance(STEP)
    report = ctl.run_once()
    assert report.errors == {}


def test_an_edit_racing_the_floor_write_is_re_read_and_both_changes_stand(
    kube: KubeApiServer, ctl: KubeController
) -> None:
    def someone_edits() -> None:  # lands between our read and our write: a genuine 409
        kube.store.patch(HPA, "shop", "web", {"spec": {"maxReplicas": 25}}, content_type=MERGE)

    kube.faults.add(verb="PATCH", path=WEB_HPA, before=someone_edits)

    report = ctl.run_once()

    assert report.errors == {}
    assert min_replicas(kube, "web") == FLOORS["web"]
    assert hpa(kube, "web")["spec"]["maxReplicas"] == 25  # their change survived ours
    assert [r.status for r in kube.requests_to("PATCH", "/horizontalpodautoscalers/web")] == [
        409,
        200,
    ]


def test_a_conflict_that_persists_fails_that_target_only_and_the_next_cycle_recovers(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    kube.faults.add(verb="PATCH", path=WEB_HPA, status=409, times=5)  # every round of the cycle

    report = ctl.run_once()

    assert report.errors["shop/web"].startswith("ActuationConflict: hpa/shop/web: the HPA kept")
    assert min_replicas(kube, "web") == BASELINES["web"]
    assert min_replicas(kube, "api") == FLOORS["api"]  # the other target went on
    assert status(kube, "web")["lastError"] == report.errors["shop/web"]

    next_cycle(ctl, clock)

    assert min_replicas(kube, "web") == FLOORS["web"]
    assert "lastError" not in status(kube, "web")


def test_an_api_outage_on_one_hpa_fails_that_target_only_and_the_next_cycle_recovers(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    kube.faults.add(verb="GET", path=WEB_HPA, status=500, times=4)  # every retry of the cycle
    before = clock.now()

    report = ctl.run_once()

    error = report.errors["shop/web"]
    assert error.startswith("ActuationUnavailable: hpa/shop/web: Kubernetes API unavailable")
    assert "HTTP 500" in error
    assert timedelta(0) < clock.now() - before < STEP  # backed off in virtual time, briefly
    assert min_replicas(kube, "api") == FLOORS["api"]

    next_cycle(ctl, clock)

    assert min_replicas(kube, "web") == FLOORS["web"]


def test_a_slow_answer_times_out_and_the_retry_lands_the_floor_in_the_same_cycle(
    kube: KubeApiServer, impatient: KubeController
) -> None:
    kube.faults.add(verb="GET", path=WEB_HPA, delay=1.0)  # > the client's 0.3 s timeout

    report = impatient.run_once()

    assert report.errors == {} and min_replicas(kube, "web") == FLOORS["web"]


def test_an_api_server_that_stays_slow_for_one_hpa_fails_only_that_target(
    kube: KubeApiServer, impatient: KubeController, clock: VirtualClock
) -> None:
    kube.faults.add(verb="GET", path=WEB_HPA, delay=1.0, times=None)

    report = impatient.run_once()

    assert "timed out after at most 0.3s" in report.errors["shop/web"]
    assert min_replicas(kube, "api") == FLOORS["api"]

    kube.faults.clear()
    next_cycle(impatient, clock)

    assert min_replicas(kube, "web") == FLOORS["web"]


def test_a_status_write_that_fails_does_not_stop_the_cycle(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    kube.faults.add(verb="PATCH", path="/predictiveautoscalers/web/status", status=500, times=None)

    report = ctl.run_once()  # must not raise

    assert set(report.outcomes) == {"shop/web", "shop/api"}
    assert min_replicas(kube, "web") == FLOORS["web"] and min_replicas(kube, "api") == FLOORS["api"]
    assert status(kube, "api")["floor"] == FLOORS["api"]

    kube.faults.clear()
    next_cycle(ctl, clock)

    assert status(kube, "web")["floor"] == FLOORS["web"]  # published once the API is back


def test_when_listing_predictive_autoscalers_fails_the_known_targets_keep_running(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    kube.store.patch(HPA, "shop", "web", {"spec": {"minReplicas": 2}}, content_type=MERGE)
    kube.faults.add(verb="GET", path="/predictiveautoscalers$", status=503, times=4)

    next_cycle(ctl, clock)

    assert set(ctl.controller.runtimes) == {"shop/web", "shop/api"}
    assert min_replicas(kube, "web") == FLOORS["web"]  # still actuated, from the known spec
