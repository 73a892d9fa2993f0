"""HpaActuator raises an HPA's minReplicas ahead of load, over HTTP, and survives a bad API day."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import kubernetes_validate
import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.domain import AsgRef, HpaRef
from forescale.scaler.errors import (
    AccessDenied,
    ActuationConflict,
    ActuationUnavailable,
    ConfigError,
    TargetNotFound,
)
from forescale.scaler.kube import (
    APPLIED_ANNOTATION,
    BASELINE_ANNOTATION,
    EventRecorder,
    HpaActuator,
    KubeApi,
    RetryPolicy,
)
from forescale.scaler.testing import MemoryActuator
from tests.integration.kube.objects import hpa_manifest, seed, stored_hpa
from tests.integration.kube.resources import EVENT, HPA, KUBERNETES_VERSION
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

REF = HpaRef(namespace="shop", name="web")
HPA_PATH = "/horizontalpodautoscalers/web"


@pytest.fixture
def events(api: KubeApi, clock: VirtualClock) -> EventRecorder:
    return EventRecorder(api, clock=clock, instance="forescale-0")


@pytest.fixture
def actuator(api: KubeApi, clock: VirtualClock, events: EventRecorder) -> HpaActuator:
    return HpaActuator(api, clock=clock, events=events)


def test_raising_the_floor_writes_min_replicas_and_records_the_users_baseline(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2, max_replicas=10))

    result = actuator.apply_floor(REF, 6, reason="peak of 540 req/s expected at 08:05")

    assert (result.action, result.floor_before, result.floor_after) == ("raise", 2, 6)
    hpa = stored_hpa(kube)
    assert hpa["spec"]["minReplicas"] == 6
    assert hpa["metadata"]["annotations"][BASELINE_ANNOTATION] == "2"
    patch = kube.requests_to("PATCH", HPA_PATH)[0]
    assert patch.content_type == "application/merge-patch+json"
    assert patch.body["metadata"]["resourceVersion"]  # optimistic concurrency


def test_the_baseline_is_recorded_once_and_survives_further_raises(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    actuator.apply_floor(REF, 4, reason="a")
    actuator.apply_floor(REF, 7, reason="b")
    actuator.apply_floor(REF, 3, reason="c")

    hpa = stored_hpa(kube)
    assert hpa["spec"]["minReplicas"] == 3
    assert hpa["metadata"]["annotations"][BASELINE_ANNOTATION] == "2"
    assert actuator.observe(REF).baseline_min_replicas == 2


def test_nothing_is_written_when_the_floor_is_already_in_place(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    actuator.apply_floor(REF, 5, reason="peak")
    again = actuator.apply_floor(REF, 5, reason="peak")
    below_baseline = actuator.apply_floor(REF, 5, reason="still")

    assert again.action == below_baseline.action == "noop"
    assert len(kube.requests_to("PATCH", HPA_PATH)) == 1
    assert len(kube.requests_to("POST", "/events")) == 1


def test_the_floor_stays_between_the_baseline_and_the_hpas_max_replicas(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=3, max_replicas=8))

    assert actuator.apply_floor(REF, 50, reason="huge").floor_after == 8
    assert actuator.apply_floor(REF, 1, reason="tiny").floor_after == 3
    assert stored_hpa(kube)["spec"]["minReplicas"] == 3


def test_release_restores_the_users_min_replicas_and_removes_the_annotations(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    actuator.apply_floor(REF, 9, reason="peak")

    result = actuator.release(REF, reason="forecast stale: back to reactive")

    assert (result.action, result.floor_before, result.floor_after) == ("restore", 9, 2)
    hpa = stored_hpa(kube)
    assert hpa["spec"]["minReplicas"] == 2
    assert "annotations" not in hpa["metadata"]
    assert actuator.release(REF, reason="again").message == "nothing to restore"
    assert len(kube.requests_to("PATCH", HPA_PATH)) == 2


def test_managed_lists_the_hpas_carrying_the_mark_in_its_namespace_scope(
    kube: KubeApiServer, api: KubeApi, clock: VirtualClock, actuator: HpaActuator
) -> None:
    """What a new leader scans for floors whose PredictiveAutoscaler is gone."""
    for name, namespace in (("web", "shop"), ("api", "shop"), ("idle", "shop"), ("web", "blog")):
        seed(kube, hpa_manifest(name, namespace, min_replicas=2))
    for ref in (REF, HpaRef(namespace="shop", name="api"), HpaRef(namespace="blog", name="web")):
        actuator.apply_floor(ref, 5, reason="peak")
    actuator.release(HpaRef(namespace="shop", name="api"), reason="back to reactive")

    assert sorted(map(str, actuator.managed())) == ["hpa/blog/web", "hpa/shop/web"]
    scoped = HpaActuator(api, clock=clock, namespace="shop")
    assert [str(ref) for ref in scoped.managed()] == ["hpa/shop/web"]


def test_dry_run_reports_the_change_without_writing(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))

    result = actuator.apply_floor(REF, 6, reason="preview", dry_run=True)

    assert (result.action, result.floor_after, result.dry_run, result.changed) == (
        "raise", 6, True, False,
    )  # fmt: skip
    assert kube.requests_to("PATCH") == [] and kube.requests_to("POST") == []


def test_a_floor_edited_by_someone_else_becomes_the_baseline_to_restore(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    actuator.apply_floor(REF, 9, reason="peak")
    kube.store.patch(
        HPA,
        "shop",
        "web",
        {"spec": {"minReplicas": 4}},
        content_type="application/merge-patch+json",
    )  # a person (or a GitOps sync) sets a new floor while ours is in place

    assert actuator.observe(REF).baseline_min_replicas == 4
    assert actuator.release(REF, reason="shutdown").action == "noop"
    assert stored_hpa(kube)["spec"]["minReplicas"] == 4


def test_observe_reports_current_replicas_floor_maximum_and_baseline(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2, max_replicas=12, current_replicas=5))
    actuator.apply_floor(REF, 4, reason="x")

    capacity = actuator.observe(REF)

    assert (capacity.current_replicas, capacity.min_replicas) == (5, 4)
    assert (capacity.max_replicas, capacity.baseline_min_replicas) == (12, 2)


def test_each_change_is_an_event_carrying_the_reason(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    actuator.apply_floor(REF, 6, reason="peak of 540 req/s expected at 08:05")
    actuator.release(REF, reason="model stale")

    events, _ = kube.store.list(EVENT, "shop")
    assert [e["reason"] for e in events] in (
        ["FloorRaised", "FloorRestored"],
        ["FloorRestored", "FloorRaised"],
    )
    raised = next(e for e in events if e["reason"] == "FloorRaised")
    assert raised["note"] == "minReplicas 2 -> 6: peak of 540 req/s expected at 08:05"
    assert raised["regarding"]["kind"] == "HorizontalPodAutoscaler"
    assert raised["regarding"]["name"] == "web"
    assert raised["eventTime"] == "2026-11-27T08:00:00.000000Z"
    kubernetes_validate.validate(raised, KUBERNETES_VERSION, strict=True)


def test_a_failing_event_never_fails_the_change(
    kube: KubeApiServer, actuator: HpaActuator, events: EventRecorder
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    kube.faults.add(verb="POST", path="/events", status=403)

    assert actuator.apply_floor(REF, 6, reason="peak").action == "raise"
    assert stored_hpa(kube)["spec"]["minReplicas"] == 6
    assert (events.recorded, events.failed) == (0, 1)


def test_a_missing_hpa_is_target_not_found(kube: KubeApiServer, actuator: HpaActuator) -> None:
    with pytest.raises(TargetNotFound, match="hpa/shop/web: HorizontalPodAutoscaler not found"):
        actuator.apply_floor(REF, 3, reason="x")


def test_a_concurrent_edit_is_reread_and_the_floor_decided_again(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2, max_replicas=10))

    def someone_lowers_max_replicas() -> None:
        kube.store.patch(
            HPA, "shop", "web", {"spec": {"maxReplicas": 7}},
            content_type="application/merge-patch+json",
        )  # fmt: skip

    kube.faults.add(verb="PATCH", path=HPA_PATH, before=someone_lowers_max_replicas)

    result = actuator.apply_floor(REF, 9, reason="peak")

    assert [r.status for r in kube.requests_to("PATCH", HPA_PATH)] == [409, 200]
    assert result.floor_after == 7  # clamped to the max it found on the re-read
    assert stored_hpa(kube)["spec"] == {**stored_hpa(kube)["spec"], "minReplicas": 7}


def test_conflicts_that_never_settle_end_in_actuation_conflict(
    kube: KubeApiServer, api: KubeApi, clock: VirtualClock
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    kube.faults.add(verb="PATCH", path=HPA_PATH, status=409, times=None)
    actuator = HpaActuator(api, clock=clock, policy=RetryPolicy(conflict_attempts=3))

    with pytest.raises(ActuationConflict, match="3 read-modify-write rounds"):
        actuator.apply_floor(REF, 6, reason="peak")
    assert len(kube.requests_to("PATCH", HPA_PATH)) == 3
    assert len(kube.requests_to("GET", HPA_PATH)) == 3  # re-read before every attempt


def test_server_errors_are_retried_with_backoff_in_virtual_time(
    kube: KubeApiServer, actuator: HpaActuator, clock: VirtualClock
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    start = clock.now()
    kube.faults.add(verb="PATCH", path=HPA_PATH, status=500, times=2)

    assert actuator.apply_floor(REF, 6, reason="peak").action == "raise"
    assert [r.status for r in kube.requests_to("PATCH", HPA_PATH)] == [500, 500, 200]
    assert clock.now() - start == timedelta(seconds=0.2 + 0.4)


def test_persistent_throttling_gives_up_after_bounded_retries_honouring_retry_after(
    kube: KubeApiServer, actuator: HpaActuator, clock: VirtualClock
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    start = clock.now()
    kube.faults.add(verb="GET", path=HPA_PATH, status=429, retry_after=3, times=None)

    with pytest.raises(ActuationUnavailable, match="after 4 attempt") as err:
        actuator.apply_floor(REF, 6, reason="peak")
    assert err.value.delay == 3
    assert len(kube.requests_to("GET", HPA_PATH)) == 4
    assert clock.now() - start == timedelta(seconds=3 * 3)


def test_a_slow_api_server_times_out_as_actuation_unavailable(
    kube: KubeApiServer, kube_client: Any, clock: VirtualClock
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    kube.faults.add(verb="GET", path=HPA_PATH, delay=3.0, times=None)
    actuator = HpaActuator(
        KubeApi(kube_client, timeout=0.25), clock=clock, policy=RetryPolicy(attempts=2)
    )

    began = time.monotonic()
    with pytest.raises(ActuationUnavailable, match="timed out after at most 0.25s"):
        actuator.observe(REF)
    assert time.monotonic() - began < 2.0  # two 0.25 s timeouts, not the server's 3 s delay


def test_forbidden_is_access_denied_naming_the_missing_rbac_rule(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=2))
    kube.faults.add(verb="PATCH", path=HPA_PATH, status=403)

    with pytest.raises(AccessDenied) as err:
        actuator.apply_floor(REF, 6, reason="peak")
    message = str(err.value)
    assert "RBAC verb 'patch' on resource 'horizontalpodautoscalers'" in message
    assert "apiGroup 'autoscaling'" in message and "namespace 'shop'" in message
    assert len(kube.requests_to("PATCH", HPA_PATH)) == 1  # permanent: not retried


def test_an_asg_target_is_refused_with_a_config_error(actuator: HpaActuator) -> None:
    with pytest.raises(ConfigError, match="only scales HPA targets"):
        actuator.observe(AsgRef(name="web", region="eu-west-1"))


def test_it_follows_the_same_rules_as_the_in_memory_twin(
    kube: KubeApiServer, actuator: HpaActuator
) -> None:
    seed(kube, hpa_manifest(min_replicas=3, max_replicas=12))
    twin = MemoryActuator()
    twin.add(REF, min_replicas=3, max_replicas=12)
    script: list[tuple[str, int, bool]] = [
        ("apply", 5, False), ("apply", 5, False), ("apply", 40, False), ("apply", 1, False),
        ("apply", 8, True), ("release", 0, True), ("release", 0, False), ("release", 0, False),
        ("apply", 3, False), ("apply", 4, False), ("release", 0, False),
    ]  # fmt: skip

    for step, replicas, dry_run in script:
        results = [
            a.apply_floor(REF, replicas, reason="r", dry_run=dry_run)
            if step == "apply"
            else a.release(REF, reason="r", dry_run=dry_run)
            for a in (actuator, twin)
        ]
        ours, theirs = ((r.action, r.floor_before, r.floor_after, r.dry_run) for r in results)
        assert ours == theirs, (step, replicas, dry_run)
        seen, expected = actuator.observe(REF), twin.observe(REF)
        assert (seen.min_replicas, seen.max_replicas, seen.baseline_min_replicas) == (
            expected.min_replicas, expected.max_replicas, expected.baseline_min_replicas,
        )  # fmt: skip
    assert APPLIED_ANNOTATION not in stored_hpa(kube)["metadata"].get("annotations", {})
