"""Migrations on SQLite: applied in order at open, idempotent, matching the code's schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from forescale.scaler.errors import ConfigError
from forescale.scaler.store import SchemaMismatch, SqlRecordStore, StoreUnavailable
from forescale.scaler.store.migrate import (
    MIGRATIONS,
    current_revision,
    head_revision,
    revisions,
    upgrade,
)
from forescale.scaler.store.sql import engine_for
from forescale.scaler.store.tables import metadata
from tests.scaler.store.contract import MINUTE, T0, decision


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        diffs: list[object] = compare_metadata(MigrationContext.configure(connection), metadata)
        return diffs


def test_revisions_form_one_chain_from_empty_to_head() -> None:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    chain = revisions()
    assert chain[-1] == head_revision() and len(script.get_heads()) == 1
    assert script.get_revision(chain[0]).down_revision is None
    for older, newer in zip(chain, chain[1:], strict=False):
        assert script.get_revision(newer).down_revision == older


def test_a_fresh_database_is_migrated_to_the_schema_the_code_uses(tmp_path: Path) -> None:
    store = SqlRecordStore.open(f"sqlite:///{tmp_path / 'fresh.db'}")
    with store.engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert schema_differences(store.engine) == []
    assert {"decisions", "forecasts", "accuracy"} <= set(inspect(store.engine).get_table_names())


def test_revisions_applied_one_at_a_time_reach_the_same_schema(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'stepwise.db'}")
    reached = [upgrade(engine, to=revision) for revision in revisions()]
    assert reached == revisions()
    assert schema_differences(engine) == []


def test_records_survive_a_restart_and_reopening_migrates_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="forescale.scaler.store")
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    first = SqlRecordStore.open(url)
    assert "migrated" in caplog.text  # a fresh file is migrated, and it shows
    first.record_decision(decision("shop/checkout", T0))
    first.close()
    caplog.clear()  # what matters is what the reopening logs, whatever logged before
    second = SqlRecordStore.open(url)
    assert [d.at for d in second.decisions("shop/checkout", start=T0, end=T0 + MINUTE)] == [T0]
    assert "migrated" not in caplog.text


def test_a_database_from_a_newer_forescale_is_refused_not_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    SqlRecordStore.open(url).close()
    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaMismatch, match="9999_future.*newer version"):
        SqlRecordStore.open(url)


def test_the_sqlite_file_directory_is_created(tmp_path: Path) -> None:
    SqlRecordStore.open(f"sqlite:///{tmp_path / 'deep' / 'er' / 'records.db'}").close()
    assert (tmp_path / "deep" / "er" / "records.db").is_file()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/forescale", "'mysql' is not supported"),
        ("not a url", "not a database URL"),
        ("sqlite://", "in-memory SQLite"),
        ("sqlite:///:memory:", "in-memory SQLite"),
    ],
)
def test_unsupported_urls_say_what_to_use_instead(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        SqlRecordStore.open(url)
    assert "sqlite:///" in str(caught.value)


def test_a_plain_postgresql_url_uses_psycopg_3() -> None:
    assert engine_for("postgresql://forescale@db/records").url.drivername == "postgresql+psycopg"


def test_an_unreachable_database_is_temporary_and_never_shows_the_password() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        SqlRecordStore.open("postgresql://forescale:hunter2-secret@127.0.0.1:1/records")
    assert "127.0.0.1" in str(caught.value) and "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://forescale@127.0.0.1:1/records?password=hunter2-secret",
        "postgresql://forescale@127.0.0.1:1/records?sslmode=disable&password=hunter2-secret",
        "postgresql://forescale:hunter2-secret@127.0.0.1:1/records?sslpassword=hunter2-secret",
    ],
)
def test_a_password_in_the_query_string_is_never_shown_either(url: str) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        SqlRecordStore.open(url)
    assert "127.0.0.1" in str(caught.value) and "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(SqlRecordStore(engine_for(url)))
