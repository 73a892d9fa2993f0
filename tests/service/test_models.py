"""Models: list and card for viewers; retrain and promote for operators only."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import TARGET
from tests.service.fake_view import FakeController


def test_models_are_listed_with_the_promoted_one_marked(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    models = client.get(f"/v1/targets/{TARGET}/models", headers=as_viewer).json()
    assert [(m["version"], m["promoted"]) for m in models] == [("v1", True)]


def test_one_model_card_is_served_and_an_unknown_version_is_a_404(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    card = client.get(f"/v1/targets/{TARGET}/models/v1", headers=as_viewer).json()["card"]
    assert card["model"] == "seasonal_naive" and card["train_end"].startswith("2026-11-20")
    missing = client.get(f"/v1/targets/{TARGET}/models/v9", headers=as_viewer)
    assert missing.status_code == 404 and "v9" in missing.json()["detail"]


@pytest.mark.parametrize("version", ["-v1", "v1;drop", "." * 3])
def test_a_malformed_version_is_a_422(
    client: TestClient, as_viewer: dict[str, str], version: str
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/models/{version}", headers=as_viewer)
    assert reply.status_code == 422


def test_an_operator_retrains_then_promotes_the_old_version_back(
    client: TestClient,
    view: FakeController,
    as_operator: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="forescale.service")
    fresh = client.post(f"/v1/targets/{TARGET}/retrain", headers=as_operator)
    assert fresh.status_code == 200 and fresh.json()["version"] == "v2"
    assert [m.promoted for m in view.models(TARGET)] == [False, True]
    back = client.post(f"/v1/targets/{TARGET}/models/v1/promote", headers=as_operator)
    assert back.status_code == 200 and back.json() == {**back.json(), "promoted": True}
    assert [m.promoted for m in view.models(TARGET)] == [True, False]
    assert "retrained by operator token #1: version v2" in caplog.text
    assert "model v1 promoted by operator token #1" in caplog.text


def test_promoting_a_version_that_does_not_exist_is_a_404_and_changes_nothing(
    client: TestClient, view: FakeController, as_operator: dict[str, str]
) -> None:
    reply = client.post(f"/v1/targets/{TARGET}/models/v7/promote", headers=as_operator)
    assert reply.status_code == 404
    assert [m.promoted for m in view.models(TARGET)] == [True]


@pytest.mark.parametrize(
    "path", ["retrain", "models/v1/promote", "pause", "resume"], ids=lambda p: p.split("/")[-1]
)
def test_viewers_cannot_write(
    client: TestClient, view: FakeController, as_viewer: dict[str, str], path: str
) -> None:
    reply = client.post(f"/v1/targets/{TARGET}/{path}", headers=as_viewer)
    assert reply.status_code == 403 and "operator role" in reply.json()["detail"]
    assert len(view.models(TARGET)) == 1 and not view.target(TARGET).paused
