"""The reactive recommendation is the user's HPA, read from the object over HTTP: its
``spec.behavior`` (here a scale-up limit of a few pods a minute), not a default HPA's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from forescale.scaler.clock import VirtualClock
from tests.integration.controller.cluster import (
    START,
    STEP,
    KubeController,
    pa,
    seed_shop,
    status,
)
from tests.integration.kube.objects import hpa_manifest, seed
from tests.integration.kube.resources import HPA
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube
MERGE = "application/merge-patch+json"


def _pods_per_minute(pods: int) -> dict[str, Any]:
    return {"scaleUp": {"policies": [{"type": "Pods", "value": pods, "periodSeconds": 60}]}}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def ctl(kube: KubeApiServer, clock: VirtualClock) -> Iterator[KubeController]:
    # shop/web: 2 replicas, a load asking for ceil(1000 / 80) = 13, and an HPA that adds at most
    # one pod a minute; shop/api keeps the default behavior.
    web = hpa_manifest("web", "shop", min_replicas=2, max_replicas=20, current_replicas=2)
    web["spec"]["behavior"] = _pods_per_minute(1)
    seed(kube, web)
    seed(kube, pa("web"))
    seed_shop(kube, "api")
    controller = KubeController(kube.url, clock)
    yield controller
    controller.close()


def test_the_reactive_recommendation_follows_the_hpas_own_behavior(
    kube: KubeApiServer, ctl: KubeController, clock: VirtualClock
) -> None:
    report = ctl.run_once()
    assert report.errors == {}
    # The default behavior would allow max(2 + 4, 2 x 2) = 6 in one sync; this HPA allows 2 + 1.
    web = status(kube, "web")
    assert web["reactiveReplicas"] == 3
    # shop/api has no spec.behavior: the default (1 replica, asks for ceil(400 / 80) = 5 <= 1 + 4).
    assert status(kube, "api")["reactiveReplicas"] == 5

    # The user edits the HPA's behavior (kubectl edit, a GitOps sync): the next cycle follows it.
    kube.store.patch(HPA, "shop", "web", {"spec": {"behavior": _pods_per_minute(4)}},
                     content_type=MERGE)  # fmt: skip
    clock.advance(STEP)
    ctl.run_once()
    assert status(kube, "web")["reactiveReplicas"] == 2 + 4

    # Without spec.behavior: the default again (+4 pods or +100 % per 15 s: 6).
    kube.store.patch(HPA, "shop", "web", {"spec": {"behavior": None}}, content_type=MERGE)
    clock.advance(STEP)
    ctl.run_once()
    assert status(kube, "web")["reactiveReplicas"] == 6


def test_a_behavior_the_shadow_cannot_read_falls_back_to_the_default_without_failing(
    kube: KubeApiServer, ctl: KubeController, caplog: pytest.LogCaptureFixture
) -> None:
    # The schema lets a 2-hour period through; Kubernetes' validation (1800 s at most) would not.
    long = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 7200}]}}
    kube.store.patch(HPA, "shop", "web", {"spec": {"behavior": long}}, content_type=MERGE)
    report = ctl.run_once()
    assert report.errors == {}
    assert status(kube, "web")["reactiveReplicas"] == 6
    assert "spec.behavior.scaleUp.policies[0].periodSeconds: must be in [1, 1800]" in caplog.text
