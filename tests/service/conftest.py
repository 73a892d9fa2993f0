"""Fixtures for the API tests: a fake controller, both stores, tokens and a running app."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import RecordStore
from forescale.scaler.domain import Mode
from forescale.scaler.store import MemoryRecordStore, SqlRecordStore
from forescale.service.app import create_app
from tests.service.fake_view import FakeController

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TARGET = "shop/checkout"
UNTRAINED = "shop/cart"
REACTIVE = "batch/etl"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def view(clock: VirtualClock) -> FakeController:
    controller = FakeController(clock)
    controller.add(TARGET)
    controller.add(UNTRAINED, with_model=False)
    controller.add(REACTIVE, mode=Mode.REACTIVE)
    return controller


@pytest.fixture(scope="session")
def tokens() -> dict[str, str]:
    """Fresh random tokens per run, so a leak check cannot pass by luck."""
    return {"viewer": secrets.token_urlsafe(24), "operator": secrets.token_urlsafe(24)}


@pytest.fixture
def settings(tokens: dict[str, str]) -> ApiSettings:
    return ApiSettings(
        viewer_tokens=[SecretStr(tokens["viewer"])], operator_tokens=[SecretStr(tokens["operator"])]
    )


@pytest.fixture
def as_viewer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['viewer']}"}


@pytest.fixture
def as_operator(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['operator']}"}


def sqlite_store(tmp_path: Path) -> SqlRecordStore:
    return SqlRecordStore.open(f"sqlite:///{tmp_path / 'records.db'}")


@pytest.fixture
def store() -> RecordStore:
    return MemoryRecordStore()


@pytest.fixture(params=["memory", "sqlite"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    """Both record stores: the API must answer the same from either."""
    if request.param == "memory":
        yield MemoryRecordStore()
        return
    sql = sqlite_store(tmp_path)
    yield sql
    sql.close()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def app(
    view: FakeController,
    store: RecordStore,
    settings: ApiSettings,
    registry: CollectorRegistry,
    clock: VirtualClock,
) -> FastAPI:
    return create_app(view, store, settings=settings, registry=registry, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
