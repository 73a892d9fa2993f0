"""KubeTargetSource turns PredictiveAutoscalers into targets; bad specs are reported, not fatal."""

from __future__ import annotations

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.domain import HpaRef, TargetName
from forescale.scaler.errors import AccessDenied, ConfigError
from forescale.scaler.kube import EventRecorder, KubeApi, KubeTargetSource, RequestRejected
from tests.integration.kube.objects import pa_manifest, seed
from tests.integration.kube.resources import EVENT, PREDICTIVE_AUTOSCALER
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

PA_PATH = "/predictiveautoscalers"


@pytest.fixture
def source(api: KubeApi, clock: VirtualClock) -> KubeTargetSource:
    return KubeTargetSource(
        api, clock=clock, events=EventRecorder(api, clock=clock, instance="forescale-0")
    )


def stored_pa(kube: KubeApiServer, name: str, namespace: str = "shop") -> dict[str, object]:
    return kube.store.get(PREDICTIVE_AUTOSCALER, namespace, name)


def test_every_valid_object_in_every_namespace_becomes_a_target(
    kube: KubeApiServer, source: KubeTargetSource, api: KubeApi, clock: VirtualClock
) -> None:
    seed(kube, pa_manifest("checkout", "shop", leadTime="3m", mode="ForecastOnly"))
    seed(kube, pa_manifest("search", "web"))

    snapshot = source.poll()

    assert [t.name for t in snapshot.targets] == ["shop/checkout", "web/search"]
    checkout = snapshot.targets[0]
    assert checkout.ref == HpaRef(namespace="shop", name="checkout")
    assert checkout.forecast_only and checkout.policy.lead_time.total_seconds() == 180
    assert snapshot.invalid == () and snapshot.deleted == ()
    one_namespace = KubeTargetSource(api, clock=clock, namespace="web")
    assert [t.name for t in one_namespace.poll().targets] == ["web/search"]


def test_an_invalid_spec_is_reported_on_the_object_and_the_others_still_run(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    seed(kube, pa_manifest("checkout"))
    # Passes the CRD schema (it cannot compare durations), fails the parser.
    seed(kube, pa_manifest("search", interval="1m", step="5m"))

    snapshot = source.poll()

    assert [t.name for t in snapshot.targets] == ["shop/checkout"]
    (bad,) = snapshot.invalid
    assert bad.name == "shop/search" and "step must not be longer than interval" in bad.message
    status = stored_pa(kube, "search")["status"]
    assert isinstance(status, dict)
    assert status["lastError"] == bad.message and status["observedGeneration"] == 1
    (condition,) = status["conditions"]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "Ready", "False", "InvalidSpec",
    )  # fmt: skip
    (event,) = kube.store.list(EVENT, "shop")[0]
    assert (event["type"], event["reason"]) == ("Warning", "InvalidSpec")
    assert event["regarding"]["kind"] == "PredictiveAutoscaler"


def test_an_invalid_spec_is_reported_once_until_it_changes(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    seed(kube, pa_manifest("search", interval="1m", step="5m"))
    source.poll()
    source.poll()
    assert len(kube.requests_to("PATCH", PA_PATH)) == 1
    assert len(kube.requests_to("POST", "/events")) == 1

    kube.store.patch(
        PREDICTIVE_AUTOSCALER, "shop", "search", {"spec": {"step": "10m"}},
        content_type="application/merge-patch+json",
    )  # fmt: skip
    source.poll()
    assert len(kube.requests_to("PATCH", PA_PATH)) == 2
    assert stored_pa(kube, "search")["status"]["observedGeneration"] == 2  # type: ignore[index]


def test_deleted_objects_are_reported_once_with_their_last_spec(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    seed(kube, pa_manifest("checkout"))
    seed(kube, pa_manifest("search"))
    source.poll()

    kube.store.delete(PREDICTIVE_AUTOSCALER, "shop", "search")
    snapshot = source.poll()

    assert [t.name for t in snapshot.targets] == ["shop/checkout"]
    assert [(t.name, t.ref) for t in snapshot.deleted] == [
        ("shop/search", HpaRef(namespace="shop", name="search"))
    ]
    assert source.poll().deleted == ()


def test_pointing_an_object_at_another_hpa_reports_the_old_one_for_release(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    seed(kube, pa_manifest("checkout"))
    source.poll()
    kube.store.patch(
        PREDICTIVE_AUTOSCALER, "shop", "checkout", {"spec": {"target": {"hpa": {"name": "v2"}}}},
        content_type="application/merge-patch+json",
    )  # fmt: skip

    snapshot = source.poll()

    assert [t.ref for t in snapshot.retargeted] == [HpaRef(namespace="shop", name="checkout")]
    assert [t.ref for t in snapshot.targets] == [HpaRef(namespace="shop", name="v2")]


def test_an_object_that_turns_invalid_keeps_its_last_valid_spec_at_hand(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    seed(kube, pa_manifest("checkout"))
    (before,) = source.poll().targets
    kube.store.patch(
        PREDICTIVE_AUTOSCALER, "shop", "checkout", {"spec": {"step": "1h"}},
        content_type="application/merge-patch+json",
    )  # fmt: skip

    (invalid,) = source.poll().invalid

    assert invalid.last_valid == before


def test_write_status_merges_into_the_status_subresource_only(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    seeded = seed(kube, pa_manifest("checkout"))
    status = {"mode": "predictive", "floor": 6, "reactiveReplicas": 4, "model": "mstl"}

    assert source.write_status(TargetName("shop/checkout"), status) is True
    assert source.write_status(TargetName("shop/checkout"), {"modeReason": "fresh"}) is True

    stored = stored_pa(kube, "checkout")
    assert stored["status"] == {**status, "modeReason": "fresh"}
    assert stored["spec"] == seeded["spec"]
    assert stored["metadata"]["generation"] == 1  # type: ignore[index]
    assert kube.requests_to("PATCH", "/checkout/status")


def test_status_writes_carry_the_generation_the_controller_last_read(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    """``observedGeneration`` tells a user (or Argo CD) whether their latest edit was seen."""
    seed(kube, pa_manifest("checkout"))
    source.poll()
    source.write_status(TargetName("shop/checkout"), {"mode": "predictive"})
    assert stored_pa(kube, "checkout")["status"]["observedGeneration"] == 1  # type: ignore[index]

    kube.store.patch(
        PREDICTIVE_AUTOSCALER, "shop", "checkout", {"spec": {"quantile": 0.95}},
        content_type="application/merge-patch+json",
    )  # fmt: skip
    source.poll()
    source.write_status(TargetName("shop/checkout"), {"mode": "predictive"})
    assert stored_pa(kube, "checkout")["status"]["observedGeneration"] == 2  # type: ignore[index]


def test_a_status_the_crd_refuses_is_a_rejected_request(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    seed(kube, pa_manifest("checkout"))
    with pytest.raises(RequestRejected, match="status.mode"):
        source.write_status(TargetName("shop/checkout"), {"mode": "clairvoyant"})


def test_writing_the_status_of_a_deleted_object_is_not_an_error(
    source: KubeTargetSource,
) -> None:
    assert source.write_status(TargetName("shop/gone"), {"mode": "reactive"}) is False


def test_a_cluster_without_the_crd_gets_a_config_error_saying_how_to_install_it(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    kube.faults.add(verb="GET", path=PA_PATH, status=404)
    with pytest.raises(ConfigError, match="CRD is not installed"):
        source.poll()


def test_listing_without_permission_names_the_rbac_rule(
    kube: KubeApiServer, source: KubeTargetSource
) -> None:
    kube.faults.add(verb="GET", path=PA_PATH, status=403)
    with pytest.raises(AccessDenied, match="RBAC verb 'list' on resource 'predictiveautoscalers'"):
        source.poll()
