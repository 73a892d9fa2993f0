"""The record store on a real PostgreSQL: the contract, migrations, restarts, two replicas."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from forescale.scaler.controller.view import RecordStore
from forescale.scaler.store import Retention, SchemaMismatch, SqlRecordStore, StoreUnavailable
from forescale.scaler.store.migrate import current_revision, head_revision, revisions, upgrade
from forescale.scaler.store.sql import engine_for
from forescale.scaler.store.tables import metadata
from tests.integration.postgres.process import PostgresServer
from tests.scaler.store.contract import MINUTE, T0, StoreContract, decision

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def shared_store(postgres: PostgresServer) -> Iterator[SqlRecordStore]:
    """One migrated database for the contract tests, emptied before each (faster than one
    database per test)."""
    sql = SqlRecordStore.open(postgres.create_database())
    yield sql
    sql.close()


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, shared_store: SqlRecordStore) -> RecordStore:
        with shared_store.engine.begin() as connection:
            connection.execute(text("TRUNCATE decisions, forecasts, accuracy"))
        return shared_store


def test_migrations_apply_in_order_and_match_the_code_schema(postgres_url: str) -> None:
    engine = engine_for(postgres_url)
    assert [upgrade(engine, to=revision) for revision in revisions()] == revisions()
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
        kinds = connection.execute(
            text("SELECT data_type FROM information_schema.columns WHERE column_name = 'at'")
        ).scalars()
        assert set(kinds) == {"timestamp with time zone"}
    engine.dispose()


def test_two_replicas_starting_together_migrate_once_and_both_work(postgres_url: str) -> None:
    stores: list[SqlRecordStore] = []
    failures: list[BaseException] = []

    def open_replica() -> None:
        try:
            stores.append(SqlRecordStore.open(postgres_url))
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    replicas = [threading.Thread(target=open_replica) for _ in range(2)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join(timeout=30)
    assert failures == [] and len(stores) == 2
    stores[0].record_decision(decision("shop/checkout", T0))
    assert len(stores[1].decisions("shop/checkout", start=T0, end=T0 + MINUTE)) == 1
    for store in stores:
        store.close()


def test_records_survive_a_restart_of_the_store(postgres_url: str) -> None:
    first = SqlRecordStore.open(postgres_url)
    first.record_decision(decision("shop/checkout", T0))
    first.close()
    second = SqlRecordStore.open(postgres_url)
    assert [d.at for d in second.decisions("shop/checkout", start=T0, end=T0 + MINUTE)] == [T0]
    second.close()


def test_retention_purges_the_database(postgres_url: str) -> None:
    store = SqlRecordStore.open(postgres_url)
    for minutes in (0, 30, 90):
        store.record_decision(decision("shop/checkout", T0 + minutes * MINUTE))
    assert Retention(store, window=60 * MINUTE).maybe_purge(T0 + 100 * MINUTE) == 2
    store.close()


def test_a_database_from_a_newer_forescale_is_refused(postgres_url: str) -> None:
    SqlRecordStore.open(postgres_url).close()
    engine = engine_for(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    with pytest.raises(SchemaMismatch, match="newer version"):
        SqlRecordStore.open(postgres_url)


def test_a_database_refusing_connections_is_reported_as_temporarily_unavailable(
    postgres: PostgresServer,
) -> None:
    url = postgres.create_database()
    store = SqlRecordStore.open(url)
    postgres.admin(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" ALLOW_CONNECTIONS false')
    store.engine.dispose()  # drop pooled connections: the next one must be refused
    with pytest.raises(StoreUnavailable, match="reading failed.*not currently accepting"):
        store.decisions("shop/checkout", start=T0, end=T0 + MINUTE)
    with pytest.raises(StoreUnavailable, match="recording to decisions failed"):
        store.record_decision(decision("shop/checkout", T0))
