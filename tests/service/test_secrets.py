"""No token or database password ever appears in a log line, a response body or a header."""

from __future__ import annotations

import logging
import secrets

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import TARGET

PATHS = [
    ("GET", "/v1/targets"),
    ("GET", f"/v1/targets/{TARGET}"),
    ("GET", f"/v1/targets/{TARGET}/forecast"),
    ("GET", f"/v1/targets/{TARGET}/plan?quantile=2"),
    ("GET", f"/v1/targets/{TARGET}/decisions?start=nonsense"),
    ("GET", f"/v1/targets/{TARGET}/accuracy"),
    ("GET", f"/v1/targets/{TARGET}/models/v1"),
    ("POST", f"/v1/targets/{TARGET}/retrain"),
    ("POST", f"/v1/targets/{TARGET}/models/v9/promote"),
    ("POST", f"/v1/targets/{TARGET}/pause"),
    ("GET", f"/targets/{TARGET}"),
    ("GET", "/"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/targets/shop/ghost"),
]


def test_tokens_are_never_logged_nor_echoed(
    client: TestClient, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    guess = secrets.token_urlsafe(24)  # a wrong token is a secret too (a typo of a real one)
    seen: list[str] = []
    for token in (tokens["viewer"], tokens["operator"], guess):
        for method, path in PATHS:
            reply = client.request(method, path, headers={"Authorization": f"Bearer {token}"})
            seen.append(reply.text)
            seen.extend(f"{k}: {v}" for k, v in reply.headers.items())
    everything = "\n".join(seen) + "\n" + caplog.text
    assert caplog.records, "the app logged nothing: the scan would prove nothing"
    for secret in (tokens["viewer"], tokens["operator"], guess):
        assert secret not in everything
