"""The SQL schema (SQLAlchemy Core), the single source the Alembic migrations must match.

One table per record kind, each indexed by ``(target, time)`` for the API's range queries and by
time alone for the retention purge. Plan steps and forecast points are JSON: they are always read
whole with their row, never queried into, and JSON keeps SQLite and PostgreSQL identical.
Times are stored as UTC (`UtcDateTime`); a test compares this metadata with the migrated schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

__all__ = ["UtcDateTime", "accuracy", "decisions", "forecasts", "metadata", "pauses"]

NAME_LENGTH = 253
"""Longest target name kept (a Kubernetes object name is at most 253 characters)."""

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """A tz-aware UTC datetime on both databases.

    PostgreSQL keeps ``timestamptz``. SQLite has no time zones and SQLAlchemy would silently drop
    the offset of a non-UTC value, so values are converted to UTC first and stored naive; reads
    attach UTC again. Naive datetimes are refused on write: their zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime ({value}); pass a UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - SQLAlchemy's signature
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id() -> Column[Any]:
    # SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias).
    return Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)


def _target() -> Column[Any]:
    return Column("target", String(NAME_LENGTH), nullable=False)


decisions = Table(
    "decisions",
    metadata,
    _id(),
    _target(),
    Column("at", UtcDateTime(), nullable=False),
    Column("load", Float()),
    Column("mode", String(16), nullable=False),
    Column("mode_reason", Text(), nullable=False),
    Column("floor", Integer()),
    Column("desired", Integer(), nullable=False),
    Column("reactive", Integer(), nullable=False),
    Column("predictive", Integer()),
    Column("scheduled", Integer()),
    Column("current_replicas", Integer()),
    Column("model", String(200)),
    Column("quantile", Float()),
    Column("forecast_peak", Float()),
    Column("window_start", UtcDateTime()),
    Column("window_end", UtcDateTime()),
    Column("steps", JSON(), nullable=False),
    Column("action", String(16), nullable=False),
    Column("dry_run", Boolean(), nullable=False),
    Column("error", Text()),
    Index(None, "target", "at"),
    Index(None, "at"),
)

forecasts = Table(
    "forecasts",
    metadata,
    _id(),
    _target(),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("model", String(200), nullable=False),
    Column("quantile", Float(), nullable=False),
    Column("points", JSON(), nullable=False),
    Column("notes", JSON(), nullable=False),
    Index(None, "target", "issued_at"),
    Index(None, "issued_at"),
)

accuracy = Table(
    "accuracy",
    metadata,
    _id(),
    _target(),
    Column("at", UtcDateTime(), nullable=False),
    Column("horizon_seconds", Float(), nullable=False),
    Column("scored", Integer(), nullable=False),
    Column("mae", Float()),
    Column("relative_error", Float()),
    Column("skill", Float()),
    Column("under_rate", Float()),
    Column("bias", Float()),
    Index(None, "target", "at"),
    Index(None, "at"),
)

pauses = Table(
    "pauses",
    metadata,
    Column("target", String(NAME_LENGTH), primary_key=True),
    Column("paused_by", String(200), nullable=False),
    Column("paused_at", UtcDateTime(), nullable=False),
)
"""Targets paused through the API (targets-file targets; objects use an annotation): one row per
paused target, deleted on resume, read by whichever replica leads (`StoredPauses`)."""
