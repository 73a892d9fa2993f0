"""Targets come and go, break and get fixed; one failing target never stops the others."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from forescale.scaler.controller.targets import FileTargets
from forescale.scaler.domain import AsgRef, Mode
from forescale.scaler.errors import ConfigError
from tests.scaler.controller.world import (
    BASE,
    HPA_MIN,
    PEAK,
    PEAK_HOUR,
    World,
    at,
    needed,
    spec,
    with_policy,
)

NOON = at(12)


def document(name: str, *, hpa: str | None = None, **changes: Any) -> dict[str, Any]:
    """The PredictiveAutoscaler equivalent of ``world.spec(name)``, with spec ``changes``."""
    body: dict[str, Any] = {
        "target": {"hpa": {"name": hpa or name}},
        "query": f"load:{name}",
        "capacityPerReplica": 100,
        "targetUtilization": 0.8,
        "minReplicas": 1,
        "maxReplicas": 40,
        "leadTime": "15m",
        "interval": "5m",
        "step": "5m",
        "history": "3d",
        "model": "seasonal_naive",
    }
    body.update(changes)
    return {
        "apiVersion": "forescale.io/v1alpha1",
        "kind": "PredictiveAutoscaler",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": body,
    }


def write(path: Path, *documents: dict[str, Any]) -> Path:
    """Write the file as an editor would, with a newer modification time than before."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))
    return path


# -- failing targets ------------------------------------------------------------------------------
def test_a_target_whose_hpa_is_missing_fails_alone_and_the_others_are_actuated() -> None:
    world = World([spec("web"), spec("ghost")], missing=["ghost"], start=NOON)

    reports = world.run_until(at(PEAK_HOUR))

    assert all(set(r.outcomes) == {"shop/web"} for r in reports)
    assert all(r.errors["shop/ghost"].startswith("TargetNotFound: hpa/shop/ghost") for r in reports)
    assert world.floor("web") == needed(BASE + PEAK)
    assert world.view.target("shop/ghost").last_error == reports[-1].errors["shop/ghost"]
    assert world.static.statuses["shop/ghost"]["lastError"] == reports[-1].errors["shop/ghost"]


def test_a_target_whose_query_never_answers_stays_reactive_and_the_others_are_actuated() -> None:
    typo = "sum(rate(typo_total[1m]))"
    world = World([spec("web"), spec("api", query=typo)], unanswered=[typo], start=NOON)

    reports = world.run_until(at(PEAK_HOUR))

    api = reports[-1].outcomes["shop/api"]
    assert api.decision.plan.floor is None and world.floor("api") == HPA_MIN
    assert world.controller.runtimes["shop/api"].last_error == (
        "metrics: query 'sum(rate(typo_total[1m]))' returned no series"
    )
    assert api.decision.plan.mode_reason.startswith("not enough history")
    assert world.floor("web") == needed(BASE + PEAK)


def test_a_target_for_an_unconfigured_actuator_fails_alone_with_a_hint() -> None:
    group = replace(spec("batch"), ref=AsgRef(name="batch", region="eu-west-1"))
    world = World([spec("web"), group], start=NOON)

    report = world.tick()

    assert report.errors == {
        "shop/batch": "ScalerError: no actuator for asg targets is configured (enable it in "
        "settings)"
    }
    assert "shop/web" in report.outcomes


# -- a targets file -------------------------------------------------------------------------------
def file_world(path: Path) -> World:
    return World(
        [spec("web"), spec("api"), spec("web-v2", query="load:web")],
        targets=FileTargets(path),
        start=NOON,
    )


def test_an_invalid_document_is_reported_and_the_other_targets_keep_running(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "targets.yaml", document("web"), document("api"))
    world = file_world(path)
    world.run_until(at(13))

    write(path, document("web", maxReplicas=10), document("api", maxReplicas=-1))
    report = world.tick()

    assert list(report.invalid) == ["shop/api"]
    assert (
        "shop/api: spec.maxReplicas: Input should be greater than or equal to 1"
        in (report.invalid["shop/api"])
    )
    assert world.controller.runtimes["shop/web"].spec.policy.max_replicas == 10  # edit applied
    assert world.floor("web") == 10
    assert set(report.outcomes) == {"shop/web", "shop/api"}  # api runs its last valid spec
    assert world.floor("api") > HPA_MIN


def test_a_file_with_one_broken_document_still_starts_the_valid_targets(tmp_path: Path) -> None:
    path = write(tmp_path / "targets.yaml", document("web"), document("api", query=""))
    world = file_world(path)

    report = world.tick()

    assert set(report.outcomes) == {"shop/web"}
    assert (
        "shop/api: spec.query: String should have at least 1 character"
        in (report.invalid["shop/api"])
    )


def test_a_targets_file_that_is_not_yaml_fails_at_startup_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("spec: [unclosed\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="not valid YAML"):
        FileTargets(path)


def test_a_file_that_turns_into_garbage_keeps_the_last_valid_targets(tmp_path: Path) -> None:
    path = write(tmp_path / "targets.yaml", document("web"))
    world = file_world(path)
    world.run_until(at(13))

    path.write_text("spec: [unclosed\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    report = world.tick()

    assert set(report.outcomes) == {"shop/web"} and world.floor("web") > HPA_MIN
    assert "not valid YAML" in report.invalid["shop/web"]


def test_deleting_a_target_from_the_file_gives_its_floor_back(tmp_path: Path) -> None:
    path = write(tmp_path / "targets.yaml", document("web"), document("api"))
    world = file_world(path)
    world.run_until(at(13))
    assert world.floor("api") > HPA_MIN

    write(path, document("web"))
    report = world.tick()

    assert set(report.outcomes) == {"shop/web"} and "shop/api" not in world.controller.runtimes
    assert world.floor("api") == HPA_MIN
    assert [w.action for w in world.actuator.writes if w.target == "hpa/shop/api"][-1] == "restore"
    assert world.floor("web") > HPA_MIN


def test_retargeting_gives_the_old_object_its_floor_back_and_raises_the_new_one(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "targets.yaml", document("web"))
    world = file_world(path)
    world.run_until(at(13))
    raised = world.floor("web")

    write(path, document("web", hpa="web-v2"))  # a blue/green switch to a new Deployment's HPA
    world.tick()

    assert world.floor("web") == HPA_MIN
    assert world.floor("web-v2") >= raised
    assert world.controller.runtimes["shop/web"].spec.ref.name == "web-v2"


def test_an_edited_target_stays_predictive_on_its_fitted_model_with_the_new_settings() -> None:
    world = World([spec()], start=NOON)
    world.run_until(at(13.5))
    assert world.floor() > 15

    world.static.replace([with_policy(spec(), max_replicas=15, quantile=0.95)])
    report = world.tick()

    outcome = report.outcomes["shop/web"]
    assert outcome.decision.plan.mode is Mode.PREDICTIVE and outcome.refit_reason is None
    assert outcome.decision.plan.quantile == 0.95
    assert world.floor() == 15  # the new maximum, not a fall back to the user's floor
