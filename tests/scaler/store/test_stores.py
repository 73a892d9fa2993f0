"""The record-store contract on the in-memory twin and on SQLite (PostgreSQL: tests/integration)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from forescale.scaler.controller.view import RecordStore
from forescale.scaler.store import MemoryRecordStore, SqlRecordStore
from tests.scaler.store.contract import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> RecordStore:
        return MemoryRecordStore()


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[RecordStore]:
        sql = SqlRecordStore.open(f"sqlite:///{tmp_path / 'records.db'}")
        yield sql
        sql.close()
