"""Decisions over a time range, paginated, from either store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import RecordStore
from forescale.service.app import create_app
from tests.service.conftest import NOW, TARGET, sqlite_store
from tests.service.fake_view import FakeController
from tests.service.history import daily_loads, seed


def seeded_client(
    view: FakeController, store: RecordStore, settings: ApiSettings, clock: VirtualClock
) -> Iterator[TestClient]:
    seed(store, TARGET, daily_loads(NOW, hours=25))
    with TestClient(create_app(view, store, settings=settings, clock=clock)) as client:
        yield client


@pytest.fixture
def history_client(
    view: FakeController, store: RecordStore, settings: ApiSettings, clock: VirtualClock
) -> Iterator[TestClient]:
    yield from seeded_client(view, store, settings, clock)


@pytest.fixture
def history_client_any_store(
    view: FakeController, any_store: RecordStore, settings: ApiSettings, clock: VirtualClock
) -> Iterator[TestClient]:
    yield from seeded_client(view, any_store, settings, clock)


def test_paging_with_next_offset_returns_every_decision_once_in_time_order(
    history_client_any_store: TestClient, as_viewer: dict[str, str]
) -> None:
    seen, offset = [], 0
    while offset is not None:
        page = history_client_any_store.get(
            f"/v1/targets/{TARGET}/decisions",
            params={"limit": 500, "offset": offset, "start": "2026-11-19T12:00:00Z"},
            headers=as_viewer,
        ).json()
        seen += [d["at"] for d in page["items"]]
        offset = page["next_offset"]
    assert len(seen) == 24 * 60 and seen == sorted(seen) and len(set(seen)) == len(seen)


def test_without_a_range_the_last_24_hours_up_to_now_are_listed(
    history_client: TestClient, as_viewer: dict[str, str]
) -> None:
    page = history_client.get(f"/v1/targets/{TARGET}/decisions?limit=1", headers=as_viewer).json()
    assert page["start"] == "2026-11-19T12:00:00Z" and page["end"] == "2026-11-20T12:00:00Z"
    assert page["items"][0]["at"] == page["start"] and page["next_offset"] == 1


def test_each_decision_carries_its_plan_steps_and_reasons(
    history_client: TestClient, as_viewer: dict[str, str]
) -> None:
    page = history_client.get(
        f"/v1/targets/{TARGET}/decisions",
        params={"start": "2026-11-20T11:00:00Z", "end": "2026-11-20T11:02:00Z"},
        headers=as_viewer,
    ).json()
    assert [d["at"] for d in page["items"]] == ["2026-11-20T11:00:00Z", "2026-11-20T11:01:00Z"]
    first = page["items"][0]
    assert [s["name"] for s in first["steps"]] == ["forecast", "reactive"]
    assert first["explanation"].startswith(f"floor {first['floor']} because")
    assert page["next_offset"] is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("start=2026-09-01T00:00:00Z&end=2026-11-20T00:00:00Z", "start"),
        ("start=2026-11-20T00:00:00%2B01:00&end=2026-11-19T23:00:00Z", "start"),
        ("end=0001-01-01T00:00:00%2B01:00", "end"),
    ],
)
def test_bad_paging_and_ranges_are_a_422_naming_the_parameter(
    client: TestClient, as_viewer: dict[str, str], query: str, parameter: str
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/decisions?{query}", headers=as_viewer)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["location"] == f"query parameter {parameter!r}"


def test_decisions_of_an_unknown_target_are_a_404(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    assert client.get("/v1/targets/shop/ghost/decisions", headers=as_viewer).status_code == 404


def test_a_broken_database_answers_503_not_500(
    view: FakeController,
    settings: ApiSettings,
    clock: VirtualClock,
    tmp_path: Path,
    as_viewer: dict[str, str],
) -> None:
    store = sqlite_store(tmp_path)
    store.engine.dispose()
    for path in tmp_path.glob("records.db*"):
        path.write_bytes(b"this is not a database" * 100)
    with TestClient(create_app(view, store, settings=settings, clock=clock)) as client:
        reply = client.get(f"/v1/targets/{TARGET}/decisions", headers=as_viewer)
    assert reply.status_code == 503
    assert "record store" in reply.json()["detail"] and "retry-after" in reply.headers
