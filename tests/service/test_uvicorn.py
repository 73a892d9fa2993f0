"""The app served by a real uvicorn on a free loopback port, called over HTTP with httpx."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import RecordStore
from forescale.service.app import create_app
from forescale.service.server import ApiServer
from tests.service.conftest import NOW, TARGET
from tests.service.fake_view import FakeController
from tests.service.history import daily_loads, seed


@pytest.fixture
def server(app: FastAPI, store: RecordStore) -> Iterator[ApiServer]:
    seed(store, TARGET, daily_loads(NOW, hours=2))
    with ApiServer(app, host="127.0.0.1", port=0) as running:
        yield running


def test_reads_writes_and_auth_over_real_http(
    server: ApiServer,
    view: FakeController,
    as_viewer: dict[str, str],
    as_operator: dict[str, str],
) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/livez").json() == {"status": "ok"}
        targets = http.get("/v1/targets", headers=as_viewer).json()
        assert TARGET in {t["name"] for t in targets}
        page = http.get(f"/v1/targets/{TARGET}/decisions?limit=50", headers=as_viewer).json()
        assert len(page["items"]) == 50 and page["next_offset"] == 50
        assert http.post(f"/v1/targets/{TARGET}/pause").status_code == 401
        assert http.post(f"/v1/targets/{TARGET}/pause", headers=as_viewer).status_code == 403
        assert http.post(f"/v1/targets/{TARGET}/pause", headers=as_operator).status_code == 200
        html = http.get(f"/targets/{TARGET}", headers=as_viewer)
        assert html.status_code == 200 and "<svg" in html.text
        assert http.get("/metrics").status_code == 200
    assert view.target(TARGET).paused


def test_the_access_log_shows_path_and_status_but_no_credentials(
    server: ApiServer, as_operator: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.post(f"/v1/targets/{TARGET}/retrain", headers=as_operator)
    assert f"POST /v1/targets/{TARGET}/retrain" in caplog.text and " 200" in caplog.text
    assert as_operator["Authorization"].split()[1] not in caplog.text


def test_port_zero_binds_a_free_port_and_stop_releases_it(
    view: FakeController, store: RecordStore, clock: VirtualClock
) -> None:
    app = create_app(view, store, settings=ApiSettings(), clock=clock)
    with ApiServer(app, port=0) as first, ApiServer(app, port=0) as second:
        assert first.port != second.port > 0
        assert httpx.get(first.url + "/livez", timeout=5).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(first.url + "/livez", timeout=2)
