"""Only the leader writes history (issue 17 item 8): two replicas on one SQLite store write each
decision, forecast and accuracy row once, and statuses come from the leader alone.

Before the fix the follower recorded its dry-run decisions too: every row twice, half of them
``dry_run`` although nothing was dry about the cluster's state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.store import SqlRecordStore
from tests.integration.controller.cluster import (
    HPA_PATH,
    START,
    STEP,
    KubeController,
    elect,
    seed_shop,
)
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

TICKS = 4
TARGETS = ("shop/web", "shop/api")


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SqlRecordStore, SqlRecordStore]]:
    """One SQLite database, opened by each replica as its own process would."""
    url = f"sqlite:///{tmp_path / 'history.db'}"
    pair = SqlRecordStore.open(url), SqlRecordStore.open(url)
    yield pair
    for store in pair:
        store.close()


@pytest.fixture
def recording(
    kube: KubeApiServer,
    clock: VirtualClock,
    source: FrameSource,
    stores: tuple[SqlRecordStore, SqlRecordStore],
) -> Iterator[tuple[KubeController, KubeController]]:
    """Two replicas on the seeded shop, each recording to its handle on the one database; a
    leads, b follows."""
    seed_shop(kube)
    a, b = (
        KubeController(kube.url, clock, identity=f"forescale-{n}", leader_election=True,
                       source=source, recorder=store)
        for n, store in zip("ab", stores, strict=True)
    )  # fmt: skip
    elect(a, b)
    yield a, b
    a.close()
    b.close()


def test_two_replicas_on_one_store_write_each_history_row_once(
    kube: KubeApiServer,
    clock: VirtualClock,
    stores: tuple[SqlRecordStore, SqlRecordStore],
    recording: tuple[KubeController, KubeController],
) -> None:
    a, b = recording
    for _ in range(TICKS):  # every 5 minutes: a decision is recorded at least that often
        for replica in (a, b):
            assert replica.elector is not None
            replica.elector.try_acquire_or_renew()
            replica.run_once()
        clock.advance(STEP)

    store, window = stores[0], {"start": START, "end": START + TICKS * STEP}
    for target in TARGETS:
        decisions = store.decisions(target, **window)
        assert [d.at for d in decisions] == [START + k * STEP for k in range(TICKS)]
        assert not any(d.dry_run for d in decisions)  # the leader's, none of the follower's
        forecasts = store.forecasts(target, **window)
        assert [f.issued_at for f in forecasts] == [START + k * STEP for k in range(TICKS)]
        accuracy = store.accuracy(target, **window)
        assert [r.at for r in accuracy] == [START + k * STEP for k in range(TICKS)]
    status_writes = kube.requests_to("PATCH", "/predictiveautoscalers/")
    assert len(status_writes) == TICKS * len(TARGETS)  # one status per target per cycle
    assert kube.requests_to("PATCH", HPA_PATH)  # and a, the leader, did scale


def test_after_a_hand_over_the_new_leader_writes_the_history_and_the_old_one_stops(
    clock: VirtualClock,
    stores: tuple[SqlRecordStore, SqlRecordStore],
    recording: tuple[KubeController, KubeController],
) -> None:
    a, b = recording
    b.run_once()  # a follower: nothing recorded
    a.run_once()
    assert a.elector is not None and b.elector is not None and a.elector.release()
    clock.advance(STEP)
    assert b.elector.try_acquire_or_renew()

    a.run_once()  # a follower now
    b.run_once()

    decisions = stores[0].decisions("shop/web", start=START, end=START + 2 * STEP)
    assert [(d.at, d.dry_run) for d in decisions] == [(START, False), (START + STEP, False)]
