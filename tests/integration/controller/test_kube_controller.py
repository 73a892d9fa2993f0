"""The controller over HTTP: floors on HPAs, Events, PredictiveAutoscaler status, restores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.kube import APPLIED_ANNOTATION, BASELINE_ANNOTATION
from tests.integration.controller.cluster import (
    BASELINES,
    FLOORS,
    HPA_PATH,
    START,
    STEP,
    KubeController,
    annotations,
    events,
    min_replicas,
    pa,
    seed_shop,
    status,
)
from tests.integration.kube import schema
from tests.integration.kube.objects import hpa_manifest, seed
from tests.integration.kube.resources import HPA, PREDICTIVE_AUTOSCALER
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube
MERGE = "application/merge-patch+json"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def ctl(kube: KubeApiServer, clock: VirtualClock) -> Iterator[KubeController]:
    seed_shop(kube)
    controller = KubeController(kube.url, clock)
    yield controller
    controller.close()


def test_floors_land_as_min_replicas_with_the_users_floor_recorded_and_an_event_each(
    kube: KubeApiServer, ctl: KubeController
) -> None:
    report = ctl.run_once()

    assert report.errors == {} and report.invalid == {}
    for name in ("web", "api"):
        assert min_replicas(kube, name) == FLOORS[name]
        assert annotations(kube, name) == {
            BASELINE_ANNOTATION: str(BASELINES[name]),
            APPLIED_ANNOTATION: str(FLOORS[name]),
        }
        (event,) = events(kube, name)
        assert (event["reason"], event["action"], event["type"]) == (
            "FloorRaised", "SetMinReplicas", "Normal",
        )  # fmt: skip
        assert event["note"].startswith(
            f"minReplicas {BASELINES[name]} -> {FLOORS[name]}: floor {FLOORS[name]} because the "
            "p90 forecast for"
        )
        assert event["reportingInstance"] == "forescale-0"


def test_the_status_shows_mode_floor_forecast_and_is_valid_under_the_crd(
    kube: KubeApiServer, ctl: KubeController
) -> None:
    ctl.run_once()

    web = status(kube, "web")
    assert (web["target"], web["mode"], web["floor"]) == ("hpa/shop/web", "predictive", 13)
    assert (web["desiredReplicas"], web["model"]) == (13, "seasonal_naive")
    assert web["reactiveReplicas"] < 13  # the HPA alone, from 2 replicas, is rate-limited
    assert web["forecast"]["peak"] == web["forecast"]["mean"] == 1000.0  # a flat load
    assert web["forecast"]["quantile"] == 0.9
    assert web["forecast"]["windowStart"] == "2026-11-27T08:05:00Z"
    assert web["lastDecisionTime"] == "2026-11-27T08:00:00Z" and "lastError" not in web
    conditions = {c["type"]: c for c in web["conditions"]}
    assert (conditions["Predictive"]["status"], conditions["Predictive"]["reason"]) == (
        "True", "Predictive",
    )  # fmt: skip
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == ("True", "SpecValid")
    stored = kube.store.get(PREDICTIVE_AUTOSCALER, "shop", "web")
    assert schema.crd_errors(stored, strict=True) == []  # nothing the CRD would prune


def test_nothing_is_written_to_an_hpa_while_its_floor_is_unchanged(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    patches = len(kube.requests_to("PATCH", HPA_PATH))

    for _ in range(3):
        clock.advance(STEP)
        ctl.run_once()

    assert len(kube.requests_to("PATCH", HPA_PATH)) == patches
    assert len(events(kube, "web")) == 1


def test_deleting_a_predictive_autoscaler_gives_its_hpa_the_users_floor_back(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()

    kube.store.delete(PREDICTIVE_AUTOSCALER, "shop", "web")
    clock.advance(STEP)
    report = ctl.run_once()

    assert set(report.outcomes) == {"shop/api"}
    assert min_replicas(kube, "web") == BASELINES["web"] and annotations(kube, "web") == {}
    restored = events(kube, "web")[-1]
    assert restored["reason"] == "FloorRestored"
    assert "its PredictiveAutoscaler was deleted" in restored["note"]
    assert min_replicas(kube, "api") == FLOORS["api"]  # the other target is untouched


def test_shutdown_gives_every_hpa_the_users_floor_back(
    kube: KubeApiServer, ctl: KubeController
) -> None:
    ctl.run_once()

    ctl.controller.shutdown()

    for name in ("web", "api"):
        assert min_replicas(kube, name) == BASELINES[name] and annotations(kube, name) == {}
        assert events(kube, name)[-1]["reason"] == "FloorRestored"
        assert "Forescale is shutting down" in events(kube, name)[-1]["note"]


def test_a_floor_the_user_edited_meanwhile_becomes_their_new_floor(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    kube.store.patch(  # kubectl edit hpa web: minReplicas 15 (a person, a GitOps sync)
        HPA, "shop", "web", {"spec": {"minReplicas": 15}}, content_type=MERGE
    )
    clock.advance(STEP)
    ctl.run_once()
    ctl.controller.shutdown()

    assert min_replicas(kube, "web") == 15  # never "restored" below what the user set


def test_an_invalid_predictive_autoscaler_is_reported_and_the_others_are_actuated(
    kube: KubeApiServer, ctl: KubeController
) -> None:
    seed(kube, pa("search", interval="1m", step="5m"))  # the CRD cannot compare durations

    report = ctl.run_once()

    assert "step must not be longer than interval" in report.invalid["shop/search"]
    condition = status(kube, "search")["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "Ready", "False", "InvalidSpec",
    )  # fmt: skip
    assert events(kube, "search")[-1]["type"] == "Warning"
    assert min_replicas(kube, "web") == FLOORS["web"] and min_replicas(kube, "api") == FLOORS["api"]


def test_a_forecast_only_predictive_autoscaler_publishes_its_plan_and_writes_nothing(
    kube: KubeApiServer, ctl: KubeController
) -> None:
    kube.store.patch(
        PREDICTIVE_AUTOSCALER, "shop", "web", {"spec": {"mode": "ForecastOnly"}}, content_type=MERGE
    )

    report = ctl.run_once()

    assert report.outcomes["shop/web"].dry_run
    assert min_replicas(kube, "web") == BASELINES["web"] and events(kube, "web") == []
    assert status(kube, "web")["floor"] == FLOORS["web"]
    assert min_replicas(kube, "api") == FLOORS["api"]


def test_a_fixed_predictive_autoscaler_is_shown_ready_again_and_runs(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    seed(kube, pa("search", interval="1m", step="5m"))
    ctl.run_once()
    kube.store.patch(
        PREDICTIVE_AUTOSCALER, "shop", "search", {"spec": {"interval": "5m"}}, content_type=MERGE
    )  # the user fixes it
    seed(kube, hpa_manifest("search", "shop", min_replicas=1, max_replicas=20))

    clock.advance(STEP)
    report = ctl.run_once()

    assert "shop/search" in report.outcomes and report.invalid == {}
    ready = {c["type"]: c for c in status(kube, "search")["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"]) == ("True", "SpecValid")  # kubectl get pa -o wide
    assert "step must not be longer" not in status(kube, "search").get("lastError", "")
    assert {c["type"]: c["status"] for c in status(kube, "web")["conditions"]} == {
        "Ready": "True",
        "Predictive": "True",
    }


def test_an_invalid_edit_stays_visible_while_the_last_valid_spec_keeps_running(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    kube.store.patch(
        PREDICTIVE_AUTOSCALER, "shop", "web", {"spec": {"step": "10m"}}, content_type=MERGE
    )  # step longer than interval: the CRD accepts it, the controller cannot use it

    for _ in range(3):  # long enough for the status to be republished
        clock.advance(STEP)
        report = ctl.run_once()

    assert "shop/web" in report.outcomes  # still scaled by its last valid spec
    assert min_replicas(kube, "web") == FLOORS["web"]
    web = status(kube, "web")
    ready = {c["type"]: c for c in web["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    assert "step must not be longer than interval" in web["lastError"]
    assert web["mode"] == "predictive" and web["floor"] == FLOORS["web"]
