"""Two controller replicas share the API server: only the leader writes; the other takes over."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.metrics.memory import FrameSource
from tests.integration.controller.cluster import (
    BASELINES,
    FLOORS,
    HPA_PATH,
    KubeController,
    elect,
    events,
    flat_load,
    min_replicas,
    pa,
)
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

LEASE = timedelta(seconds=15)  # LeaseConfig defaults: 15 s lease, 10 s renew deadline, 2 s retry
RETRY = timedelta(seconds=2)
BUSIER = 1400.0  # web's load after the hand-over: ceil(1400 / 80) = 18 replicas
WEB_QUERY = pa("web")["spec"]["query"]


def writers(kube: KubeApiServer, name: str) -> list[str]:
    return [e["reportingInstance"] for e in events(kube, name)]


def test_only_the_leader_writes_floors_the_follower_computes_the_same_plans(
    kube: KubeApiServer, pair: tuple[KubeController, KubeController]
) -> None:
    a, b = pair
    elect(a, b)

    leading = a.run_once()
    patches = len(kube.requests_to("PATCH", HPA_PATH))
    following = b.run_once()

    assert leading.leader and not following.leader
    assert min_replicas(kube, "web") == FLOORS["web"] and writers(kube, "web") == ["forescale-a"]
    assert len(kube.requests_to("PATCH", HPA_PATH)) == patches  # the follower wrote nothing
    for name in ("shop/web", "shop/api"):
        assert following.outcomes[name].dry_run
        plan = following.outcomes[name].decision.plan
        assert plan.floor == leading.outcomes[name].decision.plan.floor


def test_when_the_leader_stops_renewing_the_follower_takes_over_within_the_lease_and_acts(
    kube: KubeApiServer,
    pair: tuple[KubeController, KubeController],
    clock: VirtualClock,
    source: FrameSource,
) -> None:
    a, b = pair
    assert a.elector is not None and b.elector is not None
    elect(a, b)
    a.run_once()
    last_renew = clock.now()

    # a's process hangs: no more renewals, no more cycles. b keeps trying every retry period.
    took_over = None
    while took_over is None and clock.now() - last_renew < 2 * LEASE:
        clock.advance(RETRY)
        if b.elector.try_acquire_or_renew():
            took_over = clock.now()
    assert took_over is not None and took_over - last_renew <= LEASE + RETRY
    assert not a.elector.is_leader  # its renew deadline passed long before: it would not write

    source.put(WEB_QUERY, flat_load(BUSIER))  # and the load has grown meanwhile
    report = b.run_once()

    assert report.leader and report.errors == {}
    assert min_replicas(kube, "web") == 18 and writers(kube, "web") == [
        "forescale-a",
        "forescale-b",
    ]

    b.controller.shutdown()  # b restores floors it wrote and the one it inherited from a

    assert min_replicas(kube, "web") == BASELINES["web"]
    assert min_replicas(kube, "api") == BASELINES["api"]
    assert writers(kube, "api") == ["forescale-a", "forescale-b"]


def test_a_leader_that_shuts_down_releases_the_lease_and_the_follower_leads_at_its_next_try(
    kube: KubeApiServer, pair: tuple[KubeController, KubeController], clock: VirtualClock
) -> None:
    a, b = pair
    assert a.elector is not None and b.elector is not None
    elect(a, b)
    a.run_once()

    a.controller.shutdown()  # SIGTERM: floors restored, then the Lease released (forescale run)
    assert a.elector.release()
    assert min_replicas(kube, "web") == BASELINES["web"]
    clock.advance(RETRY)

    assert b.elector.try_acquire_or_renew()  # one retry period, not a whole lease duration
    b.run_once()
    assert min_replicas(kube, "web") == FLOORS["web"]
    assert writers(kube, "web")[-1] == "forescale-b"
