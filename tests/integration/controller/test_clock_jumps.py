"""Wall-clock jumps (issue 17 item 5): intervals, deadlines and the Lease on the monotonic clock.

Each replica has its own `VirtualClock` (its own machine); `VirtualClock.jump` sets the wall
clock alone, as an NTP step or ``date -s`` does, while `advance` is time passing. Before the fix
everything was measured on wall time: a leader whose clock went back an hour kept leading beside
its successor, a follower whose clock went forward took a Lease still being renewed, a jump back
during a cycle made the loop sleep 7,500 s, and after a jump back of two hours every target was
skipped for two hours (24 of 30 cycles) with its floor frozen.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from forescale.scaler.clock import VirtualClock
from tests.integration.controller.cluster import (
    FLOORS,
    HPA_PATH,
    START,
    STEP,
    KubeController,
    elect,
    min_replicas,
    seed_shop,
)
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

LEASE = timedelta(seconds=15)  # LeaseConfig defaults: 15 s lease, 10 s renew deadline, 2 s retry
RETRY = timedelta(seconds=2)
HOUR = timedelta(hours=1)


def replicas(kube: KubeApiServer) -> tuple[KubeController, KubeController]:
    """Two replicas with leader election, each on its own clock (started at the same instant)."""
    seed_shop(kube)
    return (
        KubeController(kube.url, VirtualClock(START), identity="forescale-a", leader_election=True),
        KubeController(kube.url, VirtualClock(START), identity="forescale-b", leader_election=True),
    )


def leading(replica: KubeController) -> bool:
    return replica.elector is not None and replica.elector.is_leader


def test_a_leader_whose_clock_jumps_back_an_hour_stops_at_its_renew_deadline_never_two_leaders(
    kube: KubeApiServer,
) -> None:
    a, b = replicas(kube)
    elect(a, b)
    a.run_once()
    assert a.elector is not None and b.elector is not None
    a_clock, b_clock = a.clock, b.clock
    assert isinstance(a_clock, VirtualClock) and isinstance(b_clock, VirtualClock)

    a_clock.jump(-HOUR)  # and a's renewals stop getting through (its API path is cut)
    took_over, overlap = None, []
    for step in range(1, 16):
        a_clock.advance(RETRY)
        b_clock.advance(RETRY)
        if took_over is None and b.elector.try_acquire_or_renew():
            took_over = step * RETRY
        if leading(a) and leading(b):
            overlap.append(step * RETRY)

    assert took_over is not None and took_over <= LEASE + RETRY
    assert overlap == []  # a stopped 10 s after its last renew, before b could take over
    patches = len(kube.requests_to("PATCH", HPA_PATH))
    report = a.run_once()
    assert not report.leader and len(kube.requests_to("PATCH", HPA_PATH)) == patches
    a.close()
    b.close()


def test_a_follower_whose_clock_jumps_forward_does_not_take_a_lease_still_being_renewed(
    kube: KubeApiServer,
) -> None:
    a, b = replicas(kube)
    elect(a, b)
    assert a.elector is not None and b.elector is not None
    assert isinstance(b.clock, VirtualClock)

    b.clock.jump(HOUR)  # between two of b's rounds, with a's record unchanged meanwhile

    assert not b.elector.try_acquire_or_renew()
    assert leading(a) and b.elector.holder == "forescale-a"
    a.close()
    b.close()


class Sleeps(VirtualClock):
    """A virtual clock that records each sleep of the loop and stops it after ``limit``."""

    def __init__(self, stop: threading.Event, limit: int) -> None:
        super().__init__(START)
        self.stop, self.limit, self.slept = stop, limit, list[float]()

    def sleep(self, seconds: float, *, stop: threading.Event | None = None) -> None:
        self.slept.append(seconds)
        if len(self.slept) >= self.limit:
            self.stop.set()
        super().sleep(seconds, stop=stop)


def test_a_jump_back_during_a_cycle_still_sleeps_one_interval_not_two_hours_more(
    kube: KubeApiServer,
) -> None:
    seed_shop(kube)
    stop = threading.Event()
    clock = Sleeps(stop, limit=3)
    replica = KubeController(kube.url, clock)
    jumped: list[bool] = []

    def jump_once(*_: object) -> None:  # the clock is set back while the cycle runs
        if not jumped:
            jumped.append(True)
            clock.jump(-2 * HOUR)

    replica.controller.reporter.on_decision = jump_once
    replica.controller.run_forever(stop)

    assert clock.slept == [STEP.total_seconds()] * 3  # 300 s each; not 7,500 s
    replica.close()


def test_after_a_jump_back_of_two_hours_every_target_still_decides_every_interval(
    kube: KubeApiServer,
) -> None:
    seed_shop(kube)
    clock = VirtualClock(START)
    replica = KubeController(kube.url, clock)
    for _ in range(3):
        replica.run_once()
        clock.advance(STEP)
    assert min_replicas(kube, "web") == FLOORS["web"]

    clock.jump(-2 * HOUR)
    decided = []
    for _ in range(30):
        report = replica.run_once()
        decided.append(sorted(report.outcomes))
        clock.advance(STEP)

    assert decided == [["shop/api", "shop/web"]] * 30  # none skipped (was 24 of 30)
    assert min_replicas(kube, "web") == FLOORS["web"] and min_replicas(kube, "api") == FLOORS["api"]
    replica.close()
