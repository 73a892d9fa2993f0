"""Domain errors map to problem+json with the right status; bugs are a bare 500, logged."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import RecordStore, TargetStatus
from forescale.scaler.errors import ConfigError, MetricsUnavailable, ScalerError
from forescale.service.app import create_app
from tests.service.conftest import TARGET
from tests.service.fake_view import FakeController


class FailingController(FakeController):
    """The fake, except that `target` raises the error a test chooses."""

    error: Exception = RuntimeError("boom")

    def target(self, name: str) -> TargetStatus:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "retry"),
    [
        (ConfigError("shop/checkout: spec.maxReplicas must be >= 1"), 409, False),
        (ScalerError("retrain already running"), 409, False),
        (MetricsUnavailable("prometheus unreachable"), 503, True),
    ],
)
def test_domain_errors_map_to_a_status_and_keep_their_message(
    clock: VirtualClock,
    store: RecordStore,
    error: Exception,
    status: int,
    retry: bool,
) -> None:
    view = FailingController(clock)
    view.error = error
    with TestClient(create_app(view, store, settings=ApiSettings(), clock=clock)) as client:
        reply = client.get(f"/v1/targets/{TARGET}")
    assert reply.status_code == status
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json() == {
        "type": "about:blank", "title": reply.json()["title"], "status": status,
        "detail": str(error),
    }  # fmt: skip
    assert ("retry-after" in reply.headers) is retry


def test_a_bug_is_a_500_without_details_and_the_traceback_goes_to_the_log(
    clock: VirtualClock, store: RecordStore, caplog: pytest.LogCaptureFixture
) -> None:
    view = FailingController(clock)
    view.error = RuntimeError("secret internal state: password=swordfish")
    app = create_app(view, store, settings=ApiSettings(), clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        reply = client.get(f"/v1/targets/{TARGET}")
    assert reply.status_code == 500
    assert reply.json()["detail"] == "internal error; the server log has the details"
    assert "swordfish" not in reply.text
    assert "Traceback" in caplog.text and "swordfish" in caplog.text


def test_a_wrong_method_is_a_405_problem(client: TestClient, as_operator: dict[str, str]) -> None:
    reply = client.delete(f"/v1/targets/{TARGET}", headers=as_operator)
    assert reply.status_code == 405
    assert reply.headers["content-type"] == "application/problem+json"


def test_validation_problems_list_every_bad_parameter(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    reply = client.get(
        f"/v1/targets/{TARGET}/decisions?limit=0&offset=-5", headers=as_viewer
    ).json()
    assert {e["location"] for e in reply["errors"]} == {
        "query parameter 'limit'",
        "query parameter 'offset'",
    }
    assert reply["status"] == 422 and "limit" in reply["detail"] and "offset" in reply["detail"]


def test_logging_is_quiet_about_client_mistakes(
    client: TestClient, as_viewer: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    client.get(f"/v1/targets/{TARGET}/forecast?horizon_steps=0", headers=as_viewer)
    client.get("/v1/targets/shop/ghost", headers=as_viewer)
    assert caplog.records == []
