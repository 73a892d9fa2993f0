"""Running the HPA hotter, by consent (issue 13 item 4), over HTTP against the test API server.

``tuning: Tuned`` with ``hpaTarget: Apply`` writes the tuner's target utilisation to the HPA's
metric, keeps the user's own in an annotation, and gives it back on every path that gives the
floor back: a tuning that says reactive-only, the fallback to reactive, a pause, the deletion of
the PredictiveAutoscaler, shutdown, and the unclaimed-object sweep of a new leader.

The tuner's choice is fixed here (``tune_window`` answers "p90 at a 90 % HPA target"), so that
each path is tested from its first cycle; that the real tuner chooses a hotter target on a daily
cycle is `test_the_real_tuner_runs_the_hpa_hotter_in_virtual_time`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forescale.scaler.controller.tuning as controller_tuning
from forescale.scaler.clock import VirtualClock
from forescale.scaler.errors import MetricsError
from forescale.scaler.kube.hpa_target import APPLIED_TARGET_ANNOTATION, BASELINE_TARGET_ANNOTATION
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.tuning.tuner import Outcome, Setting, TuningResult
from tests.integration.controller.cluster import (
    START,
    STEP,
    KubeController,
    annotations,
    events,
    flat_load,
    hpa,
    pa,
)
from tests.integration.kube.objects import hpa_manifest, seed
from tests.integration.kube.resources import HPA, PREDICTIVE_AUTOSCALER
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube
MERGE = "application/merge-patch+json"
HOTTER = Setting(True, 0.9, 0.9)
"""What the tuner chooses in these tests: p90, the HPA at 90 % (the spec says 80 %)."""
USERS = 70
"""The HPA's own cpu averageUtilization (`hpa_manifest`); 70 x 0.9 / 0.8 = 78.75 -> 79."""
TUNED = 79


def result(setting: Setting) -> TuningResult:
    hpa_alone = Outcome(Setting(False, 0.0, 0.8), 12.0, 0.0)
    return TuningResult(setting=setting, reason=f"{setting.describe()}: chosen for the test",
                        window_steps=600, chosen=Outcome(setting, 10.0, 0.0), hpa=hpa_alone,
                        frontier=(hpa_alone,), candidates=())  # fmt: skip


class Tuner:
    """Stands in for `tune_window`: answers ``setting`` (None: too few forecasts yet)."""

    def __init__(self) -> None:
        self.setting: Setting | None = HOTTER

    def __call__(self, *args: Any, **kwargs: Any) -> TuningResult | None:
        return None if self.setting is None else result(self.setting)


class Flaky(FrameSource):
    """The flat load, or a metrics outage while ``down``."""

    down = False

    def range_query(self, query: str, **window: Any) -> Any:
        if self.down:
            raise MetricsError("prometheus: 503 Service Unavailable")
        return super().range_query(query, **window)


@pytest.fixture
def tuner(monkeypatch: pytest.MonkeyPatch) -> Tuner:
    stand_in = Tuner()
    monkeypatch.setattr(controller_tuning, "tune_window", stand_in)
    return stand_in


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def source(clock: VirtualClock) -> Flaky:
    return Flaky({pa("web")["spec"]["query"]: flat_load(1000.0)}, now=clock.now)


def seed_web(kube: KubeApiServer, **spec: Any) -> None:
    seed(kube, hpa_manifest("web", "shop", min_replicas=2, max_replicas=20, current_replicas=2))
    fields = {"tuning": "Tuned", "hpaTarget": "Apply", **spec}
    seed(kube, pa("web", **{k: v for k, v in fields.items() if v is not None}))


@pytest.fixture
def ctl(
    kube: KubeApiServer, clock: VirtualClock, source: Flaky, tuner: Tuner
) -> Iterator[KubeController]:
    seed_web(kube)
    controller = KubeController(kube.url, clock, source=source)
    yield controller
    controller.close()


def utilization(kube: KubeApiServer) -> int:
    return int(hpa(kube, "web")["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"])


def hpa_target_status(kube: KubeApiServer) -> dict[str, Any]:
    pa_status = kube.store.get(PREDICTIVE_AUTOSCALER, "shop", "web").get("status") or {}
    return dict(pa_status["tuning"]["hpaTarget"])


def assert_users_own_back(kube: KubeApiServer, why: str) -> None:
    assert utilization(kube) == USERS
    assert annotations(kube, "web") == {}  # floor and target marks both gone
    restored = [e for e in events(kube, "web") if e["reason"] == "TargetRestored"]
    assert restored and why in restored[-1]["note"], [e["note"] for e in events(kube, "web")]


def test_the_tuned_target_is_written_with_the_users_own_recorded_and_shown(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    report = ctl.run_once()

    assert report.errors == {}, report.errors
    assert utilization(kube) == TUNED
    marks = annotations(kube, "web")
    assert marks[BASELINE_TARGET_ANNOTATION] == (
        '{"type":"Resource","name":"cpu","field":"averageUtilization","value":"70"}'
    )
    assert marks[APPLIED_TARGET_ANNOTATION] == '{"utilization":0.9,"value":"79"}'
    assert hpa_target_status(kube) == {
        "mode": "Apply", "recommended": 0.9, "applied": 0.9,
        "original": "cpu averageUtilization 70",
        "reason": "written to the HPA; the user's own is restored with the floor",
    }  # fmt: skip
    raised = [e for e in events(kube, "web") if e["reason"] == "TargetRaised"]
    assert len(raised) == 1 and raised[0]["action"] == "SetMetricTarget"
    clock.advance(STEP)
    ctl.run_once()  # from now on floors are sized per replica at the target the HPA runs at
    last = ctl.controller.runtime("shop/web").last
    assert last is not None and "90 per replica" in last.decision.plan.explain()


def test_nothing_more_is_written_while_the_tuned_target_holds(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    patches = len(kube.requests_to("PATCH", "/horizontalpodautoscalers/"))
    for _ in range(3):
        clock.advance(STEP)
        ctl.run_once()
    assert len(kube.requests_to("PATCH", "/horizontalpodautoscalers/")) == patches


def test_by_default_the_tuned_target_is_only_recommended(
    kube: KubeApiServer, clock: VirtualClock, source: Flaky, tuner: Tuner
) -> None:
    seed_web(kube, hpaTarget=None)
    ctl = KubeController(kube.url, clock, source=source)
    try:
        ctl.run_once()
    finally:
        ctl.close()

    assert utilization(kube) == USERS and BASELINE_TARGET_ANNOTATION not in annotations(kube, "web")
    shown = hpa_target_status(kube)
    assert (shown["mode"], shown["recommended"], shown.get("applied")) == ("Recommend", 0.9, None)
    assert "set hpaTarget: Apply" in shown["reason"]


def test_a_tuning_that_says_reactive_only_restores_the_users_target(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock, tuner: Tuner
) -> None:
    ctl.run_once()
    tuner.setting = Setting(False, 0.0, 0.9)  # the HPA alone (even at 90 %): reactive only
    ctl.controller.runtime("shop/web")._prediction._retune(clock.now())  # noqa: SLF001
    clock.advance(STEP)
    ctl.run_once()

    assert utilization(kube) == USERS and annotations(kube, "web") == {}
    assert hpa_target_status(kube).get("applied") is None


def test_the_fallback_to_reactive_restores_the_users_target(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock, source: Flaky
) -> None:
    ctl.run_once()
    source.down = True
    for _ in range(12):  # stale, degraded, then reactive after the failure threshold
        clock.advance(STEP)
        ctl.run_once()

    assert ctl.controller.runtime("shop/web").status().mode == "reactive"
    assert_users_own_back(kube, "reactive mode (stale or missing data")


def test_pausing_restores_the_users_target(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    ctl.controller.set_paused("shop/web", True)
    clock.advance(STEP)
    ctl.run_once()

    assert_users_own_back(kube, "the target is paused")


def test_deleting_the_predictive_autoscaler_restores_the_users_target(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    kube.store.delete(PREDICTIVE_AUTOSCALER, "shop", "web")
    clock.advance(STEP)
    ctl.run_once()

    assert_users_own_back(kube, "its PredictiveAutoscaler was deleted")


def test_shutdown_restores_the_users_target(kube: KubeApiServer, ctl: KubeController) -> None:
    ctl.run_once()
    ctl.controller.shutdown()

    assert_users_own_back(kube, "Forescale is shutting down")


def test_a_new_leader_restores_the_target_of_an_hpa_no_predictive_autoscaler_names(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock, source: Flaky
) -> None:
    ctl.run_once()  # then the process dies, and its PredictiveAutoscaler is deleted meanwhile
    kube.store.delete(PREDICTIVE_AUTOSCALER, "shop", "web")
    successor = KubeController(kube.url, clock, source=source)
    try:
        clock.advance(STEP)
        successor.run_once()
    finally:
        successor.close()

    assert_users_own_back(kube, "no PredictiveAutoscaler names this object")


def test_switching_back_to_recommend_restores_the_users_target_and_keeps_the_floor(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    kube.store.patch(PREDICTIVE_AUTOSCALER, "shop", "web", {"spec": {"hpaTarget": "Recommend"}},
                     content_type=MERGE)  # fmt: skip
    clock.advance(STEP)
    ctl.run_once()

    assert utilization(kube) == USERS
    assert set(annotations(kube, "web")) == {"forescale.io/baseline-min-replicas",
                                             "forescale.io/applied-min-replicas"}  # fmt: skip


def test_a_target_the_user_edited_meanwhile_becomes_their_own(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    ctl.run_once()
    metrics = hpa(kube, "web")["spec"]["metrics"]
    metrics[0]["resource"]["target"]["averageUtilization"] = 60  # kubectl edit, a GitOps sync
    kube.store.patch(HPA, "shop", "web", {"spec": {"metrics": metrics}}, content_type=MERGE)
    clock.advance(STEP)
    ctl.run_once()  # re-tuned from the user's new 60 %: 60 x 0.9 / 0.8 = 67.5 -> 68
    assert utilization(kube) == 68
    ctl.controller.shutdown()

    assert utilization(kube) == 60  # never "restored" to the 70 the user replaced


def test_an_hpa_with_several_metrics_needs_the_one_named_and_says_so(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    memory = {"type": "Resource", "resource": {"name": "memory", "target": {
        "type": "AverageValue", "averageValue": "800Mi"}}}  # fmt: skip
    metrics = [*hpa(kube, "web")["spec"]["metrics"], memory]
    kube.store.patch(HPA, "shop", "web", {"spec": {"metrics": metrics}}, content_type=MERGE)
    ctl.run_once()

    assert utilization(kube) == USERS
    shown = hpa_target_status(kube)
    assert shown.get("applied") is None and "spec.hpaTargetMetric" in shown["reason"]

    kube.store.patch(PREDICTIVE_AUTOSCALER, "shop", "web",
                     {"spec": {"hpaTargetMetric": "memory"}}, content_type=MERGE)  # fmt: skip
    clock.advance(STEP)
    ctl.run_once()
    written = hpa(kube, "web")["spec"]["metrics"]
    assert written[1]["resource"]["target"]["averageValue"] == "900Mi"  # 800Mi x 0.9 / 0.8
    assert utilization(kube) == USERS  # the other metric untouched


def daily(days: int) -> pd.Series:
    index = pd.date_range(START - timedelta(days=days), START + timedelta(days=4), freq=STEP)
    hours = (index.hour + index.minute / 60).to_numpy()
    return pd.Series(600 + 500 * np.sin((hours - 6) / 24 * 2 * np.pi), index=index)


def test_the_real_tuner_runs_the_hpa_hotter_in_virtual_time(
    kube: KubeApiServer, clock: VirtualClock
) -> None:
    seed(kube, hpa_manifest("web", "shop", min_replicas=1, max_replicas=40, current_replicas=2))
    seed(kube, pa("web", tuning="Tuned", hpaTarget="Apply", maxReplicas=40, history="4d"))
    source = FrameSource({pa("web")["spec"]["query"]: daily(days=4)}, now=clock.now)
    ctl = KubeController(kube.url, clock, source=source)
    try:
        for _ in range(int(timedelta(days=3) / STEP)):
            clock.advance(STEP)
            ctl.run_once()
        tuned = ctl.controller.runtime("shop/web").tuning()
    finally:
        ctl.close()

    assert tuned is not None and tuned["predictive"], tuned
    chosen = tuned["hpaTarget"]["recommended"]
    assert chosen > 0.8 and tuned["hpaTarget"]["applied"] == chosen
    assert utilization(kube) == round(USERS * chosen / 0.8)
