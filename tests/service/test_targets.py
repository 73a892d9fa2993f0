"""Targets: live state, dry-run plans and pausing, through the real app."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from forescale.service.schemas import TargetOut
from tests.service.conftest import REACTIVE, TARGET, UNTRAINED
from tests.service.fake_view import FakeController


def test_the_list_shows_every_target_with_mode_floor_reactive_and_model(
    client: TestClient, view: FakeController, as_viewer: dict[str, str]
) -> None:
    reply = client.get("/v1/targets", headers=as_viewer)
    assert reply.status_code == 200
    got = {t["name"]: t for t in reply.json()}
    assert set(got) == {TARGET, UNTRAINED, REACTIVE}
    for name, shown in got.items():
        live = view.target(name)
        assert (shown["mode"], shown["mode_reason"]) == (live.mode, live.mode_reason)
        assert (shown["floor"], shown["reactive"], shown["desired"]) == (
            live.floor, live.reactive, live.desired,
        )  # fmt: skip
        assert shown["model"] == live.model
    assert got[UNTRAINED]["mode"] == "reactive" and got[UNTRAINED]["floor"] is None


def test_a_target_shows_its_live_accuracy_and_training_window(
    client: TestClient, view: FakeController, as_viewer: dict[str, str]
) -> None:
    shown = client.get(f"/v1/targets/{TARGET}", headers=as_viewer).json()
    live = view.target(TARGET)
    assert live.accuracy is not None and live.training_start is not None
    assert shown["accuracy"]["under_rate"] == pytest.approx(live.accuracy.under_rate)
    assert shown["accuracy"]["relative_error"] == pytest.approx(live.accuracy.relative_error)
    assert shown["training_window"]["start"] == live.training_start.isoformat().replace(
        "+00:00", "Z"
    )
    assert shown["ref"] == f"hpa/{TARGET}" and shown["lead_time_seconds"] == 300.0


def test_an_unknown_target_is_a_404_problem_naming_it(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    reply = client.get("/v1/targets/shop/nothing-here", headers=as_viewer)
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert "shop/nothing-here" in reply.json()["detail"]


def test_a_name_without_a_namespace_gets_a_hint_about_the_format(
    client: TestClient, as_viewer: dict[str, str]
) -> None:
    reply = client.get("/v1/targets/checkout", headers=as_viewer)
    assert reply.status_code == 404 and "namespace/name" in reply.json()["detail"]


def test_a_target_named_like_a_sub_resource_is_still_the_target(
    client: TestClient, view: FakeController, as_viewer: dict[str, str]
) -> None:
    view.add("shop/forecast")
    reply = client.get("/v1/targets/shop/forecast", headers=as_viewer)
    assert reply.status_code == 200 and reply.json()["name"] == "shop/forecast"


@pytest.mark.parametrize("name", ["shop/che%20ckout", "shop/-checkout", "shop/" + "a" * 300])
def test_names_with_invalid_characters_are_a_422(
    client: TestClient, as_viewer: dict[str, str], name: str
) -> None:
    reply = client.get(f"/v1/targets/{name}", headers=as_viewer)
    assert reply.status_code == 422
    assert "path parameter 'name'" in reply.json()["detail"]


def test_the_namespace_is_validated_too(client: TestClient, as_viewer: dict[str, str]) -> None:
    reply = client.get("/v1/targets/sh%20op/checkout/forecast", headers=as_viewer)
    assert reply.status_code == 422
    assert "path parameter 'namespace'" in reply.json()["detail"]


def test_the_dry_run_plan_sizes_for_the_requested_quantile_and_gives_reasons(
    client: TestClient, view: FakeController, as_viewer: dict[str, str]
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/plan", params={"quantile": 0.99}, headers=as_viewer)
    assert reply.status_code == 200
    plan = reply.json()
    expected = view.dry_run_plan(TARGET, quantile=0.99)
    assert plan["floor"] == expected.floor and plan["quantile"] == 0.99
    assert plan["floor"] > view.dry_run_plan(TARGET, quantile=0.5).floor
    assert [s["reason"] for s in plan["steps"]] == [s.reason for s in expected.steps]
    assert plan["explanation"] == expected.explain()


@pytest.mark.parametrize("quantile", ["0", "1", "1.5", "-0.1", "p95", "nan"])
def test_a_quantile_outside_zero_to_one_is_a_422_naming_the_parameter(
    client: TestClient, as_viewer: dict[str, str], quantile: str
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/plan?quantile={quantile}", headers=as_viewer)
    assert reply.status_code == 422
    assert "quantile" in reply.json()["detail"]


def test_an_operator_pauses_and_resumes_a_target(
    client: TestClient, view: FakeController, as_operator: dict[str, str]
) -> None:
    paused = client.post(f"/v1/targets/{TARGET}/pause", headers=as_operator)
    assert paused.status_code == 200
    assert paused.json()["paused"] is True and paused.json()["floor"] is None
    assert view.target(TARGET).paused
    resumed = client.post(f"/v1/targets/{TARGET}/resume", headers=as_operator)
    assert resumed.json()["paused"] is False and resumed.json()["floor"] is not None


def test_pausing_an_unknown_target_is_a_404(
    client: TestClient, as_operator: dict[str, str]
) -> None:
    assert client.post("/v1/targets/shop/ghost/pause", headers=as_operator).status_code == 404


def test_the_list_answers_what_each_target_answers_alone(
    client: TestClient, view: FakeController, as_viewer: dict[str, str]
) -> None:
    listed = client.get("/v1/targets", headers=as_viewer)
    assert listed.headers["content-type"] == "application/json"
    for shown in listed.json():
        assert shown == client.get(f"/v1/targets/{shown['name']}", headers=as_viewer).json()


def test_the_list_rendered_once_per_snapshot_changes_when_a_status_does(
    client: TestClient, view: FakeController, as_viewer: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The list's JSON is kept per set of status snapshots (issue 17 item 9): the same objects
    give the same bytes, and a status replaced by a cycle is shown at once."""
    statuses = view.targets()
    monkeypatch.setattr(view, "targets", lambda: list(statuses))
    first = client.get("/v1/targets", headers=as_viewer).content
    assert client.get("/v1/targets", headers=as_viewer).content == first
    # byte for byte what FastAPI renders for a list[TargetOut] answer
    models = [TargetOut.of(s) for s in statuses]
    assert first == TypeAdapter(list[TargetOut]).dump_json(models, by_alias=True)

    statuses[0] = dataclasses.replace(statuses[0], floor=99, mode_reason="changed")
    shown = {t["name"]: t for t in client.get("/v1/targets", headers=as_viewer).json()}
    assert (shown[statuses[0].name]["floor"], shown[statuses[0].name]["mode_reason"]) == (
        99, "changed",
    )  # fmt: skip
