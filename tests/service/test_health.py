"""Probes, the metrics endpoint on the caller's registry, and the startup log line."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from forescale.scaler.domain import Mode
from forescale.scaler.telemetry import Telemetry
from tests.service.fake_view import FakeController


def test_readyz_is_503_until_the_controller_is_ready_while_livez_is_always_200(
    client: TestClient, view: FakeController
) -> None:
    view.ready_flag = False
    assert client.get("/livez").status_code == 200
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json() == {"status": "not ready"}
    view.ready_flag = True
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["failing"] == 0


def test_metrics_serves_the_given_registry_without_a_redirect(
    client: TestClient, registry: CollectorRegistry
) -> None:
    Telemetry(registry).record_decision(
        "shop/checkout", mode=Mode.PREDICTIVE, action="raise", floor=12, reactive=7
    )
    reply = client.get("/metrics", follow_redirects=False)
    assert reply.status_code == 200
    assert 'forescale_floor_replicas{source="predictive",target="shop/checkout"} 12.0' in reply.text
    assert "python_gc_objects_collected_total" not in reply.text  # not the process registry


def test_startup_logs_the_auth_mode_with_counts_only(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="forescale.service")
    with TestClient(app):
        pass
    assert "Forescale API up: 1 operator token(s), 1 viewer token(s)" in caplog.text


def test_api_answers_are_not_cached_and_never_sniffed(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    reply = client.get("/v1/targets", headers=as_viewer)
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_importing_the_api_loads_no_database_or_model_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, service.app; "
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'statsmodels', 'sklearn', 'pandas')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
