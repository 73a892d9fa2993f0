"""History of what the controller decided and forecast, so the API answers for the past.

- `MemoryRecordStore`: in process memory (tests, the demo, no ``store.url``);
- `SqlRecordStore`: SQLite (an embedded file) or PostgreSQL (clusters running two replicas),
  migrated with Alembic at open;
- `Retention`: forgets records older than ``store.retention_days``;
- `open_store(settings)`: the one the settings ask for.

Every store satisfies `scaler.controller.view.RecordStore` (and so `scaler.records.Recorder`).
SQLAlchemy and Alembic (about a second to import) load only when a SQL store is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forescale.scaler.config.settings import StoreSettings
from forescale.scaler.store.errors import SchemaMismatch, StoreError, StoreUnavailable
from forescale.scaler.store.memory import MemoryRecordStore
from forescale.scaler.store.retention import Retention

if TYPE_CHECKING:
    from forescale.scaler.store.sql import SqlRecordStore

__all__ = [
    "MemoryRecordStore",
    "Retention",
    "SchemaMismatch",
    "SqlRecordStore",
    "StoreError",
    "StoreUnavailable",
    "open_store",
]


def __getattr__(name: str) -> Any:
    if name == "SqlRecordStore":
        from forescale.scaler.store.sql import SqlRecordStore

        return SqlRecordStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(settings: StoreSettings) -> MemoryRecordStore | SqlRecordStore:
    """The store ``settings.url`` names (migrated), or memory when it names none."""
    if settings.url is None:
        return MemoryRecordStore()
    from forescale.scaler.store.sql import SqlRecordStore

    return SqlRecordStore.open(settings.url)
