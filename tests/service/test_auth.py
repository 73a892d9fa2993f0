"""Who may do what: bearer tokens, a trusted proxy header, and the safe default."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings, load_settings
from forescale.scaler.controller.view import RecordStore
from forescale.scaler.errors import ConfigError
from forescale.service.app import create_app
from tests.service.conftest import TARGET
from tests.service.fake_view import FakeController

READ = f"/v1/targets/{TARGET}"
WRITE = f"/v1/targets/{TARGET}/pause"


def make_client(
    view: FakeController, store: RecordStore, clock: VirtualClock, **settings: object
) -> TestClient:
    return TestClient(create_app(view, store, settings=ApiSettings(**settings), clock=clock))


def test_without_any_credentials_configured_reads_are_open_and_writes_refused(
    view: FakeController, store: RecordStore, clock: VirtualClock
) -> None:
    with make_client(view, store, clock) as client:
        assert client.get(READ).status_code == 200
        assert client.get(f"/targets/{TARGET}").status_code == 200
        refused = client.post(WRITE)
    assert refused.status_code == 401
    assert "no operator credentials are configured" in refused.json()["detail"]
    assert not view.target(TARGET).paused


def test_with_tokens_configured_an_anonymous_read_is_a_401_with_a_bearer_challenge(
    client: TestClient,
) -> None:
    for reply in (client.get(READ), client.get("/v1/targets"), client.get("/")):
        assert reply.status_code == 401
        assert reply.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer not-the-token-at-all-000", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"]
)
def test_a_wrong_or_malformed_credential_is_a_401(client: TestClient, header: str) -> None:
    assert client.get(READ, headers={"Authorization": header}).status_code == 401


def test_a_viewer_reads_and_an_operator_reads_and_writes(
    client: TestClient, as_viewer: dict[str, str], as_operator: dict[str, str]
) -> None:
    assert client.get(READ, headers=as_viewer).status_code == 200
    assert client.post(WRITE, headers=as_viewer).status_code == 403
    assert client.get(READ, headers=as_operator).status_code == 200
    assert client.post(WRITE, headers=as_operator).status_code == 200


def test_probes_and_metrics_need_no_credentials(client: TestClient) -> None:
    for path in ("/livez", "/readyz", "/metrics", "/openapi.json"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [("viewer", 200, 403), ("Operator", 200, 200), ("admin", 403, 403), (None, 401, 401)],
)
def test_a_trusted_proxy_header_carries_the_role(
    view: FakeController,
    store: RecordStore,
    clock: VirtualClock,
    role: str | None,
    read: int,
    write: int,
) -> None:
    headers = {"x-forescale-role": role} if role else {}
    with make_client(view, store, clock, trusted_proxy_header="X-Forescale-Role") as client:
        assert client.get(READ, headers=headers).status_code == read
        assert client.post(WRITE, headers=headers).status_code == write


def test_a_bearer_token_wins_over_the_proxy_header(
    view: FakeController, store: RecordStore, clock: VirtualClock, tokens: dict[str, str]
) -> None:
    with make_client(
        view, store, clock, viewer_tokens=[SecretStr(tokens["viewer"])],
        trusted_proxy_header="X-Forescale-Role",
    ) as client:  # fmt: skip
        reply = client.post(
            WRITE,
            headers={"Authorization": f"Bearer {tokens['viewer']}", "X-Forescale-Role": "operator"},
        )
    assert reply.status_code == 403


def test_tokens_can_come_from_the_environment_like_a_kubernetes_secret(
    monkeypatch: pytest.MonkeyPatch,
    view: FakeController,
    store: RecordStore,
    clock: VirtualClock,
    tokens: dict[str, str],
) -> None:
    monkeypatch.setenv("FORESCALE_API__OPERATOR_TOKENS", f"{tokens['operator']},{'x' * 20}")
    settings = load_settings().api
    with TestClient(create_app(view, store, settings=settings, clock=clock)) as client:
        for token in (tokens["operator"], "x" * 20):
            reply = client.post(WRITE, headers={"Authorization": f"Bearer {token}"})
            assert reply.status_code == 200


def test_a_short_token_is_refused_by_the_settings_without_echoing_it() -> None:
    with pytest.raises(ConfigError, match="api.operator_tokens: token #1 is shorter") as caught:
        load_settings(api={"operator_tokens": "hunter2"})
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("value", ["", " ", ",", " , \n"])
@pytest.mark.parametrize(
    "variable", ["FORESCALE_API__VIEWER_TOKENS", "FORESCALE_API__OPERATOR_TOKENS"]
)
def test_a_token_variable_that_is_set_but_empty_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    from forescale.scaler.config.settings import load_settings

    monkeypatch.setenv(variable, value)  # the Secret's key exists and is empty

    with pytest.raises(ConfigError, match=r"tokens: .*is set but holds no token.*open to anyone"):
        load_settings()


def test_open_reads_are_announced_at_warning(
    view: FakeController, store: RecordStore, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="forescale.service")
    with TestClient(create_app(view, store, settings=ApiSettings(), clock=clock)):
        pass
    (line,) = [r for r in caplog.records if "Forescale API up" in r.getMessage()]
    assert line.levelno == logging.WARNING and "open reads" in line.getMessage()
