"""Two sharded replicas in virtual time: a lost shard's floor stays for its new owner, and the
API of either replica answers for both targets (issue 14 item 2).

``shop/web`` hashes to shard 0 and ``shop/api`` to shard 1 of two (SHA-256 of the name).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.controller.view_shards import ShardedView, TargetElsewhere
from forescale.scaler.kube import KubeApi, LeaseConfig, ShardLeases, build_api_client, shard_of
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.store import MemoryRecordStore
from tests.integration.controller.cluster import (
    BASELINES,
    FLOORS,
    HPA_PATH,
    STEP,
    KubeController,
    events,
    flat_load,
    min_replicas,
    pa,
    seed_shop,
)
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

LEASE = timedelta(seconds=15)
RETRY = timedelta(seconds=2)


def writers(kube: KubeApiServer, name: str) -> list[str]:
    return [e["reportingInstance"] for e in events(kube, name)]


class Replica:
    def __init__(self, kube: KubeApiServer, clock: VirtualClock, identity: str, **kw: object):
        self.client = build_api_client(host=kube.url)
        config = LeaseConfig(namespace="forescale", identity=identity)
        self.shards = ShardLeases(KubeApi(self.client, timeout=2.0), config=config, shards=2,
                                  expected_replicas=2, clock=clock)  # fmt: skip
        self.node = KubeController(kube.url, clock, identity=identity, ownership=self.shards,
                                   **kw)  # type: ignore[arg-type]  # fmt: skip
        self.view = ShardedView(self.node.controller, records=kw["recorder"],  # type: ignore[arg-type]
                                holder_of=self.shards.holder_of)  # fmt: skip

    def close(self) -> None:
        self.node.close()
        self.client.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def pair(
    kube: KubeApiServer, clock: VirtualClock, source: FrameSource
) -> Iterator[tuple[Replica, Replica]]:
    """``forescale-a`` holding shard 0 (web), ``forescale-b`` shard 1 (api), one record store."""
    assert (shard_of("shop/web", 2), shard_of("shop/api", 2)) == (0, 1)
    seed_shop(kube)
    store = MemoryRecordStore()
    a, b = (Replica(kube, clock, name, source=source, recorder=store)
            for name in ("forescale-a", "forescale-b"))  # fmt: skip
    assert a.shards.try_acquire_or_renew() == [0] and b.shards.try_acquire_or_renew() == [1]
    assert a.shards.try_acquire_or_renew() == [0]  # and sees b's
    yield a, b
    a.close()
    b.close()


def test_each_replica_drives_only_its_shard_and_answers_for_both(
    kube: KubeApiServer, pair: tuple[Replica, Replica]
) -> None:
    a, b = pair
    ran_a, ran_b = a.node.run_once(), b.node.run_once()

    assert set(ran_a.outcomes) == {"shop/web"} and set(ran_b.outcomes) == {"shop/api"}
    assert writers(kube, "web") == ["forescale-a"] and writers(kube, "api") == ["forescale-b"]
    assert (min_replicas(kube, "web"), min_replicas(kube, "api")) == (FLOORS["web"], FLOORS["api"])
    shown = a.view.target("shop/api")  # b's target, from the store b recorded in
    assert (shown.floor, shown.mode) == (FLOORS["api"], "predictive")
    assert "forescale-b" in shown.mode_reason
    assert sorted(t.name for t in a.view.targets()) == ["shop/api", "shop/web"]
    with pytest.raises(TargetElsewhere, match="driven by replica forescale-b"):
        a.view.forecast("shop/api", horizon_steps=3)
    unshared = ShardedView(a.node.controller, records=MemoryRecordStore(),
                           holder_of=a.shards.holder_of, shared=False)  # fmt: skip
    assert "set store.url to a database" in unshared.target("shop/api").mode_reason


def test_a_lost_shard_s_floor_is_left_to_its_new_owner_who_adopts_it(
    kube: KubeApiServer, pair: tuple[Replica, Replica], clock: VirtualClock, source: FrameSource
) -> None:
    a, b = pair
    a.node.run_once()
    b.node.run_once()

    # a hangs: b takes shard 0 once its Lease expired; a, resumed, has lost it
    while 0 not in b.shards.held():
        clock.advance(RETRY)
        b.shards.try_acquire_or_renew()
    patches = len(kube.requests_to("PATCH", HPA_PATH))
    resumed = a.node.run_once()

    assert resumed.outcomes == {} and "shop/web" not in a.node.controller.runtimes
    assert len(kube.requests_to("PATCH", HPA_PATH)) == patches  # nothing restored, nothing
    assert min_replicas(kube, "web") == FLOORS["web"]  # the floor stays for the new owner

    source.put(pa("web")["spec"]["query"], flat_load(1400.0))  # ceil(1400 / 80) = 18
    b.node.run_once()
    assert min_replicas(kube, "web") == 18 and writers(kube, "web")[-1] == "forescale-b"

    b.node.controller.shutdown()  # b gives back the floor it inherited, and its own
    assert min_replicas(kube, "web") == BASELINES["web"]
    assert min_replicas(kube, "api") == BASELINES["api"]


def test_a_pause_sent_to_the_replica_that_does_not_drive_the_target_is_honoured_by_its_owner(
    kube: KubeApiServer, pair: tuple[Replica, Replica], clock: VirtualClock
) -> None:
    a, b = pair
    a.node.run_once()
    b.node.run_once()

    shown = a.view.set_paused("shop/api", True, by="operator token #1")
    renew = timedelta(seconds=8)  # within the 10 s renew deadline
    for _ in range(int(STEP / renew) + 1):  # to api's next decision, both renewing their shards
        clock.advance(renew)
        a.shards.try_acquire_or_renew()
        b.shards.try_acquire_or_renew()
    b.node.run_once()

    assert shown.paused and b.view.target("shop/api").paused
    assert min_replicas(kube, "api") == BASELINES["api"]  # its owner gave the floor back
