"""Two controller replicas elect one leader through a Lease, in virtual time, over HTTP."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import kubernetes_validate
import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.errors import AccessDenied
from forescale.scaler.kube import KubeApi, LeaderElector, LeaseConfig
from tests.integration.kube.resources import KUBERNETES_VERSION, LEASE
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

LEASE_PATH = "/leases/forescale-controller"
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def elector(api: KubeApi, clock: VirtualClock, identity: str) -> LeaderElector:
    config = LeaseConfig(namespace="forescale", identity=identity)
    return LeaderElector(api, config=config, clock=clock)


def lease(kube: KubeApiServer) -> dict[str, object]:
    spec = kube.store.get(LEASE, "forescale", "forescale-controller")["spec"]
    assert isinstance(spec, dict)
    return spec


@pytest.fixture
def pair(api: KubeApi, clock: VirtualClock) -> tuple[LeaderElector, LeaderElector]:
    return elector(api, clock, "pod-a"), elector(api, clock, "pod-b")


def test_the_first_candidate_leads_and_the_second_follows(
    kube: KubeApiServer, pair: tuple[LeaderElector, LeaderElector]
) -> None:
    a, b = pair

    assert a.try_acquire_or_renew() is True
    assert b.try_acquire_or_renew() is False
    assert (a.is_leader, b.is_leader, b.holder) == (True, False, "pod-a")
    record = lease(kube)
    assert record["holderIdentity"] == "pod-a" and record["leaseTransitions"] == 0
    assert record["leaseDurationSeconds"] == 15
    assert MICRO_TIME.match(str(record["renewTime"])) and MICRO_TIME.match(
        str(record["acquireTime"])
    )
    full = kube.store.get(LEASE, "forescale", "forescale-controller")
    kubernetes_validate.validate(full, KUBERNETES_VERSION, strict=True)


def test_a_renewing_leader_keeps_the_lease_however_long_the_follower_waits(
    kube: KubeApiServer, pair: tuple[LeaderElector, LeaderElector], clock: VirtualClock
) -> None:
    a, b = pair
    a.try_acquire_or_renew()
    acquired = lease(kube)["acquireTime"]

    for _ in range(30):  # a minute of 2 s retry periods
        clock.advance(timedelta(seconds=2))
        assert a.try_acquire_or_renew() and not b.try_acquire_or_renew()

    record = lease(kube)
    assert record["acquireTime"] == acquired and record["leaseTransitions"] == 0
    assert record["renewTime"] == "2026-11-27T08:01:00.000000Z"


def test_the_follower_takes_over_once_the_leader_stops_renewing(
    kube: KubeApiServer, pair: tuple[LeaderElector, LeaderElector], clock: VirtualClock
) -> None:
    a, b = pair
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()  # b first sees the record now

    clock.advance(timedelta(seconds=10))
    assert not a.is_leader  # past its renew deadline: it must stop acting already
    assert not b.try_acquire_or_renew()  # but the lease is valid for 5 s more
    clock.advance(timedelta(seconds=5))
    assert b.try_acquire_or_renew()

    record = lease(kube)
    assert record["holderIdentity"] == "pod-b" and record["leaseTransitions"] == 1
    assert record["acquireTime"] == "2026-11-27T08:00:15.000000Z"
    assert not a.try_acquire_or_renew() and a.holder == "pod-b"


def test_a_graceful_release_hands_over_at_once(
    kube: KubeApiServer, pair: tuple[LeaderElector, LeaderElector], clock: VirtualClock
) -> None:
    a, b = pair
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()

    assert a.release() is True
    assert not a.is_leader and "holderIdentity" not in lease(kube)
    clock.advance(timedelta(seconds=1))
    assert b.try_acquire_or_renew()
    assert lease(kube)["leaseTransitions"] == 1
    assert b.release() and not b.release()  # releasing twice is harmless


def test_candidates_racing_for_an_expired_lease_cannot_both_win(
    kube: KubeApiServer, api: KubeApi, clock: VirtualClock
) -> None:
    gone, a, b = (elector(api, clock, who) for who in ("pod-gone", "pod-a", "pod-b"))
    gone.try_acquire_or_renew()
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()
    clock.advance(timedelta(seconds=16))
    # b's whole round runs between a's read and a's write of the expired lease.
    kube.faults.add(verb="PUT", path=LEASE_PATH, before=b.try_acquire_or_renew)

    assert a.try_acquire_or_renew() is False
    assert b.is_leader and lease(kube)["holderIdentity"] == "pod-b"
    assert [r.status for r in kube.requests_to("PUT", LEASE_PATH)] == [200, 409]


def test_a_leader_that_cannot_renew_steps_down_at_the_renew_deadline(
    kube: KubeApiServer, pair: tuple[LeaderElector, LeaderElector], clock: VirtualClock
) -> None:
    a, _ = pair
    a.try_acquire_or_renew()
    kube.faults.add(verb="GET", path=LEASE_PATH, status=503, times=None)

    clock.advance(timedelta(seconds=8))
    assert a.try_acquire_or_renew() is True  # failed round, but still within the deadline
    clock.advance(timedelta(seconds=2))
    assert a.try_acquire_or_renew() is False
    kube.faults.clear()
    assert a.try_acquire_or_renew() is True  # nobody took over: it renews its own lease
    assert lease(kube)["leaseTransitions"] == 0


def test_a_forbidden_lease_is_access_denied_naming_the_rbac_rule(
    kube: KubeApiServer, pair: tuple[LeaderElector, LeaderElector]
) -> None:
    kube.faults.add(verb="GET", path=LEASE_PATH, status=403)

    with pytest.raises(AccessDenied, match="RBAC verb 'get' on resource 'leases'"):
        pair[0].try_acquire_or_renew()


class _StopAfter(VirtualClock):
    """A virtual clock that sets ``stop`` after ``n`` sleeps (so `run` ends)."""

    def __init__(self, n: int, stop: threading.Event) -> None:
        super().__init__(datetime(2026, 11, 27, 8, tzinfo=UTC))
        self.left, self.stop = n, stop

    def sleep(self, seconds: float, *, stop: threading.Event | None = None) -> None:
        super().sleep(seconds, stop=stop)
        self.left -= 1
        if self.left == 0:
            self.stop.set()


def test_run_renews_every_retry_period_until_stopped_then_releases(
    kube: KubeApiServer, api: KubeApi
) -> None:
    stop = threading.Event()
    clock = _StopAfter(5, stop)
    runner = LeaderElector(
        api, config=LeaseConfig(namespace="forescale", identity="pod-a"), clock=clock
    )

    runner.run(stop)

    assert len(kube.requests_to("PUT", LEASE_PATH)) == 4 + 1  # renewals, then the release
    assert "holderIdentity" not in lease(kube) and not runner.is_leader


def test_lease_timing_must_be_consistent() -> None:
    with pytest.raises(ValueError, match="renew_deadline"):
        LeaseConfig(namespace="x", identity="a", renew_deadline=timedelta(seconds=20))
