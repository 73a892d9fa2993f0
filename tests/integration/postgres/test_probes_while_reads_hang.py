"""Probes never wait behind other requests (issue 17 item 4).

The served API on a real uvicorn, its history in PostgreSQL, and the ``decisions`` table locked
by another session (a migration, a long ``VACUUM FULL``): 60 history reads hang inside the
server. ``/livez`` and ``/readyz`` must still answer at once. They were plain functions run on
the same 40-thread pool as the reads, so they queued behind them and the kubelet's 1 s probe
timed out (the pod would have been restarted for a database lock).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.store import SqlRecordStore
from forescale.service.app import create_app
from forescale.service.server import ApiServer
from tests.service.conftest import NOW, TARGET
from tests.service.fake_view import FakeController
from tests.service.history import daily_loads, seed

pytestmark = pytest.mark.postgres

READS = 60  # more than the server's 40 worker threads


@pytest.fixture
def store(postgres_url: str) -> Iterator[SqlRecordStore]:
    sql = SqlRecordStore.open(postgres_url)
    seed(sql, TARGET, daily_loads(NOW, hours=1))
    yield sql
    sql.close()


def test_livez_and_readyz_answer_while_sixty_reads_wait_on_a_locked_table(
    store: SqlRecordStore,
) -> None:
    view = FakeController(VirtualClock(NOW))
    view.add(TARGET)
    app = create_app(view, store, settings=ApiSettings(), clock=VirtualClock(NOW))
    locker = store.engine.connect()
    lock = locker.begin()
    locker.execute(text("LOCK TABLE decisions IN ACCESS EXCLUSIVE MODE"))
    with ApiServer(app, host="127.0.0.1", port=0) as server, ThreadPoolExecutor(READS) as pool:
        path = f"{server.url}/v1/targets/{TARGET}/decisions?start=2026-11-20T11:00:00Z"
        reads = [pool.submit(httpx.get, path, timeout=60) for _ in range(READS)]
        time.sleep(1.0)  # every read is inside the server, waiting on the lock
        assert not any(r.done() for r in reads)

        timings: dict[str, float] = {}
        with httpx.Client(base_url=server.url, timeout=1.0) as kubelet:  # its default timeout
            for probe in ("/livez", "/readyz") * 3:
                began = time.monotonic()
                assert kubelet.get(probe).status_code == 200, probe
                timings[probe] = max(timings.get(probe, 0.0), time.monotonic() - began)

        lock.rollback()
        locker.close()
        assert {r.result().status_code for r in reads} == {200}
    assert max(timings.values()) < 1.0, timings  # within the kubelet's timeout (was none)
