"""Three replicas share three shard Leases, in virtual time, over HTTP (`ShardLeases`)."""

from __future__ import annotations

import collections
from datetime import timedelta

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.kube import KubeApi, LeaseConfig, ShardLeases, shard_of
from tests.integration.kube.resources import LEASE
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

RETRY = timedelta(seconds=2)  # LeaseConfig defaults: 15 s lease, 10 s renew deadline, 2 s retry
LEASE_SECONDS = 15.0


def replica(api: KubeApi, clock: VirtualClock, identity: str, *, expected: int = 3) -> ShardLeases:
    config = LeaseConfig(namespace="forescale", identity=identity)
    return ShardLeases(api, config=config, shards=3, expected_replicas=expected, clock=clock)


def holder(kube: KubeApiServer, k: int) -> str:
    return str(kube.store.get(LEASE, "forescale", f"forescale-shard-{k}")["spec"]["holderIdentity"])


def rounds(clock: VirtualClock, replicas: list[ShardLeases], seconds: float) -> None:
    """Every replica's election round every retry period, for ``seconds``."""
    for _ in range(int(seconds / RETRY.total_seconds())):
        clock.advance(RETRY)
        for r in replicas:
            r.try_acquire_or_renew()


def one_released(trio: list[ShardLeases]) -> int:
    """All three take one shard each, then the first releases its own (a graceful shutdown)."""
    for r in trio:
        r.try_acquire_or_renew()
    (freed,) = trio[0].held()
    assert trio[0].release() and trio[0].held() == []
    return freed


@pytest.fixture
def trio(api: KubeApi, clock: VirtualClock) -> list[ShardLeases]:
    return [replica(api, clock, name) for name in ("pod-a", "pod-b", "pod-c")]


def test_a_target_s_shard_is_a_sha256_of_its_name_the_same_in_every_process() -> None:
    # sha256("shop/web") starts 97375646b1deb3d2, sha256("shop/api") 737a40b9f86be43d.
    assert shard_of("shop/web", 3) == 0x97375646B1DEB3D2 % 3 == 1
    assert shard_of("shop/api", 3) == 0x737A40B9F86BE43D % 3 == 2
    spread = collections.Counter(shard_of(f"ns/t{i}", 3) for i in range(300))
    assert min(spread.values()) >= 80  # about a third each


def test_three_replicas_starting_together_take_one_shard_each(
    kube: KubeApiServer, trio: list[ShardLeases]
) -> None:
    held = [r.try_acquire_or_renew() for r in trio]

    assert sorted(k for h in held for k in h) == [0, 1, 2] and all(len(h) == 1 for h in held)
    assert {holder(kube, k) for k in range(3)} == {"pod-a", "pod-b", "pod-c"}
    a = trio[0]
    assert a.owns("shop/web") == (1 in a.held()) and a.is_leader


def test_a_replica_alone_takes_its_share_then_the_orphans_after_a_lease_duration(
    trio: list[ShardLeases], clock: VirtualClock
) -> None:
    a = trio[0]
    assert len(a.try_acquire_or_renew()) == 1  # the peers it expects may be starting too

    rounds(clock, [a], LEASE_SECONDS - RETRY.total_seconds())
    assert len(a.held()) == 1
    rounds(clock, [a], 2 * RETRY.total_seconds())
    assert a.held() == [0, 1, 2]  # nobody came: no shard stays without a driver


def test_a_dead_replica_s_shard_is_taken_within_a_lease_duration_never_held_twice(
    trio: list[ShardLeases], clock: VirtualClock
) -> None:
    for r in trio:
        r.try_acquire_or_renew()
    rounds(clock, trio, 2 * LEASE_SECONDS)  # past the start-up window
    a, b, c = trio
    (lost,) = a.held()
    died = clock.monotonic()

    taken = None
    while taken is None:
        clock.advance(RETRY)
        for r in (b, c):
            r.try_acquire_or_renew()
        owners = [r for r in trio if lost in r.held()]
        assert len(owners) <= 1  # a stopped acting (renew deadline) before anyone took it
        if owners and owners[0] is not a:
            taken = clock.monotonic() - died
    assert taken <= LEASE_SECONDS + RETRY.total_seconds()
    assert sorted(len(r.held()) for r in (b, c)) == [1, 2] and a.held() == []


def test_a_released_shard_waits_for_a_replica_under_its_share_then_is_taken_anyway(
    trio: list[ShardLeases], clock: VirtualClock
) -> None:
    a, b, c = trio
    freed = one_released(trio)

    rounds(clock, [b, c], LEASE_SECONDS - RETRY.total_seconds())
    assert all(freed not in r.held() for r in (b, c))  # a replacement would take it first
    newcomer = replica(b._electors[0]._api, clock, "pod-d")  # noqa: SLF001 - same API client
    assert newcomer.try_acquire_or_renew() == [freed]


def test_without_a_replacement_the_released_shard_is_taken_after_a_lease_duration(
    trio: list[ShardLeases], clock: VirtualClock
) -> None:
    a, b, c = trio
    freed = one_released(trio)

    rounds(clock, [b, c], LEASE_SECONDS + 2 * RETRY.total_seconds())  # first seen free at 2 s
    assert sum(freed in r.held() for r in (b, c)) == 1
