"""`SqlRecordStore`: decisions, forecasts and accuracy in SQLite (default) or PostgreSQL.

SQLite is an embedded file and needs no setup: WAL journaling lets the API read while the loop
writes, and a busy timeout absorbs the short write locks. PostgreSQL (psycopg 3) serves clusters
running two replicas. `SqlRecordStore.open` applies the migrations first, so a fresh database just
works and an old one is brought up to date. Database failures surface as `StoreUnavailable`
(temporary) with the URL's password hidden; nothing above this module sees SQLAlchemy errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, delete, event, insert, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from forescale.scaler.errors import ConfigError
from forescale.scaler.extras import require
from forescale.scaler.records import AccuracyRecord, DecisionRecord, ForecastRecord
from forescale.scaler.redact import redact
from forescale.scaler.store import codec, tables
from forescale.scaler.store.errors import StoreUnavailable
from forescale.scaler.store.migrate import upgrade
from forescale.scaler.store.query import check_page, check_range, check_time

__all__ = ["SqlRecordStore", "engine_for"]

log = logging.getLogger(__name__)

T = TypeVar("T")
_URL_HELP = "use sqlite:///path/to/forescale.db or postgresql+psycopg://user:password@host/db"


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"store.url is not a database URL; {_URL_HELP}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        require("psycopg", extra="postgres", feature="a PostgreSQL store.url")
        return parsed.set(drivername="postgresql+psycopg")  # psycopg 3, the `postgres` extra
    if backend != "sqlite":
        raise ConfigError(f"store.url backend {backend!r} is not supported; {_URL_HELP}")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def engine_for(url: str) -> Engine:
    """An engine for ``url`` (``ConfigError`` for anything but SQLite or PostgreSQL)."""
    parsed = _parse(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise ConfigError(
                "store.url: an in-memory SQLite database would be empty on every connection; "
                "give a file (sqlite:///path/to/forescale.db) or leave store.url unset to keep "
                "records in process memory"
            )
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        options["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **options)
    except NoSuchModuleError as exc:
        raise ConfigError(
            f"store.url needs a missing database driver ({exc}); {_URL_HELP}"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class SqlRecordStore:
    """A `RecordStore` on an SQLAlchemy engine whose schema is at the migrations' head."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # hide_password covers user:password@ only; a ?password= query parameter needs redact.
        self._where = redact(engine.url.render_as_string(hide_password=True))

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> SqlRecordStore:
        """Connect to ``url`` and (by default) apply pending migrations."""
        store = cls(engine_for(url))
        if migrate:
            with store._errors("migrating"):
                upgrade(store._engine)
        return store

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"SqlRecordStore({self._where})"

    # -- writes --------------------------------------------------------------------------
    def record_decision(self, record: DecisionRecord) -> None:
        self._insert(tables.decisions, codec.decision_row(record))

    def record_forecast(self, record: ForecastRecord) -> None:
        self._insert(tables.forecasts, codec.forecast_row(record))

    def record_accuracy(self, record: AccuracyRecord) -> None:
        self._insert(tables.accuracy, codec.accuracy_row(record))

    def set_pause(self, target: str, paused: bool, *, by: str, at: datetime) -> None:
        """Pause (one row per target, the newest wins) or resume (no row) ``target``."""
        row = {"target": target, "paused_by": by[:200], "paused_at": check_time(at, "at")}
        with self._errors("storing a pause"), self._engine.begin() as connection:
            connection.execute(delete(tables.pauses).where(tables.pauses.c.target == target))
            if paused:
                connection.execute(insert(tables.pauses), row)

    def purge(self, *, before: datetime) -> int:
        before = check_time(before, "before")
        removed = 0
        with self._errors("purging"), self._engine.begin() as connection:
            for table, column in _TIMES.items():
                result = connection.execute(delete(table).where(table.c[column] < before))
                removed += result.rowcount
        return removed

    # -- reads ---------------------------------------------------------------------------
    def decisions(
        self, target: str, *, start: datetime, end: datetime, limit: int = 100, offset: int = 0
    ) -> Sequence[DecisionRecord]:
        check_page(limit, offset)
        query = self._between(tables.decisions, target, start, end).limit(limit).offset(offset)
        return self._read(query, codec.decision_from_row)

    def forecasts(self, target: str, *, start: datetime, end: datetime) -> Sequence[ForecastRecord]:
        return self._read(
            self._between(tables.forecasts, target, start, end), codec.forecast_from_row
        )

    def accuracy(self, target: str, *, start: datetime, end: datetime) -> Sequence[AccuracyRecord]:
        return self._read(
            self._between(tables.accuracy, target, start, end), codec.accuracy_from_row
        )

    def paused_targets(self) -> frozenset[str]:
        with self._errors("reading pauses"), self._engine.connect() as connection:
            return frozenset(connection.execute(select(tables.pauses.c.target)).scalars())

    # -- plumbing ------------------------------------------------------------------------
    @staticmethod
    def _between(table: Table, target: str, start: datetime, end: datetime) -> Any:
        start, end = check_range(start, end)
        when = table.c[_TIMES[table]]
        return (
            select(table)
            .where(table.c.target == target, when >= start, when < end)
            .order_by(when, table.c.id)
        )

    def _insert(self, table: Table, row: dict[str, Any]) -> None:
        with self._errors(f"recording to {table.name}"), self._engine.begin() as connection:
            connection.execute(insert(table), row)

    def _read(self, query: Any, convert: Callable[[Any], T]) -> list[T]:
        with self._errors("reading"), self._engine.connect() as connection:
            return [convert(row) for row in self._rows(connection, query)]

    @staticmethod
    def _rows(connection: Connection, query: Any) -> Iterator[Any]:
        for row in connection.execute(query):
            yield row._mapping

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """SQLAlchemy/driver failures as `StoreUnavailable`, naming the database (no password)."""
        try:
            yield
        except (OperationalError, DBAPIError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            reason = redact(reason)
            raise StoreUnavailable(
                f"record store {self._where}: {doing} failed: {reason}"
            ) from None


_TIMES: dict[Table, str] = {
    tables.decisions: "at",
    tables.forecasts: "issued_at",
    tables.accuracy: "at",
}
