"""The test API server answers the official client the way a kube-apiserver would."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.integration.kube.objects import hpa_manifest, pa_manifest, seed
from tests.integration.kube.resources import HPA, PREDICTIVE_AUTOSCALER
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

Obj = dict[str, Any]
MERGE = "application/merge-patch+json"


def custom(api_client: Any) -> Any:
    """The generic API; its methods return untyped JSON."""
    return client.CustomObjectsApi(api_client)


def status_of(err: ApiException) -> Obj:
    body = json.loads(err.body or "{}")
    assert isinstance(body, dict)
    return body


def test_version_is_served(kube_client: Any) -> None:
    assert client.VersionApi(kube_client).get_code().minor == "32"


def test_typed_clients_read_and_patch_hpas(kube: KubeApiServer, kube_client: Any) -> None:
    seed(kube, hpa_manifest(min_replicas=2, current_replicas=3))
    typed = client.AutoscalingV2Api(kube_client)

    hpa = typed.read_namespaced_horizontal_pod_autoscaler("web", "shop")
    assert hpa.spec is not None and hpa.status is not None
    assert (hpa.spec.min_replicas, hpa.status.current_replicas) == (2, 3)
    typed.patch_namespaced_horizontal_pod_autoscaler("web", "shop", {"spec": {"minReplicas": 4}})
    typed.patch_namespaced_horizontal_pod_autoscaler(
        "web", "shop", [{"op": "replace", "path": "/spec/maxReplicas", "value": 12}]
    )
    assert [r.content_type for r in kube.requests_to("PATCH")] == [
        "application/strategic-merge-patch+json",
        "application/json-patch+json",
    ]
    spec = kube.store.get(HPA, "shop", "web")["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (4, 12)


def test_a_json_patch_that_does_not_apply_is_a_422(kube: KubeApiServer, kube_client: Any) -> None:
    seed(kube, hpa_manifest(min_replicas=2, current_replicas=3))
    typed = client.AutoscalingV2Api(kube_client)
    with pytest.raises(ApiException) as err:
        typed.patch_namespaced_horizontal_pod_autoscaler(
            "web", "shop",
            [{"op": "test", "path": "/spec/minReplicas", "value": 5},
             {"op": "replace", "path": "/spec/minReplicas", "value": 9}],
        )  # fmt: skip
    assert err.value.status == 422
    assert status_of(err.value)["message"].startswith("the patch does not apply: ")
    assert kube.store.get(HPA, "shop", "web")["spec"]["minReplicas"] == 2


def test_a_missing_object_is_a_404_with_a_status_body(
    kube: KubeApiServer, kube_client: Any
) -> None:
    with pytest.raises(ApiException) as err:
        custom(kube_client).get_namespaced_custom_object(
            "autoscaling", "v2", "shop", "horizontalpodautoscalers", "nope"
        )
    assert err.value.status == 404
    body = status_of(err.value)
    assert (body["kind"], body["reason"], body["code"]) == ("Status", "NotFound", 404)
    assert body["message"] == 'horizontalpodautoscalers.autoscaling "nope" not found'


def test_a_write_with_a_stale_resource_version_is_a_409_conflict(
    kube: KubeApiServer, kube_client: Any
) -> None:
    old = seed(kube, hpa_manifest())
    kube.store.patch(HPA, "shop", "web", {"spec": {"maxReplicas": 11}}, content_type=MERGE)
    stale = {"metadata": {"resourceVersion": old["metadata"]["resourceVersion"]}}

    with pytest.raises(ApiException) as err:
        custom(kube_client).patch_namespaced_custom_object(
            "autoscaling", "v2", "shop", "horizontalpodautoscalers", "web",
            {**stale, "spec": {"minReplicas": 5}},
        )  # fmt: skip
    assert err.value.status == 409 and status_of(err.value)["reason"] == "Conflict"
    with pytest.raises(ApiException) as put:
        custom(kube_client).replace_namespaced_custom_object(
            "autoscaling", "v2", "shop", "horizontalpodautoscalers", "web", {**old, **stale}
        )
    assert put.value.status == 409
    assert kube.store.get(HPA, "shop", "web")["spec"]["minReplicas"] == 2


def test_creating_an_existing_name_is_a_409_already_exists(
    kube: KubeApiServer, kube_client: Any
) -> None:
    seed(kube, hpa_manifest())
    with pytest.raises(ApiException) as err:
        custom(kube_client).create_namespaced_custom_object(
            "autoscaling", "v2", "shop", "horizontalpodautoscalers", hpa_manifest()
        )
    assert status_of(err.value)["reason"] == "AlreadyExists"


def test_server_owned_metadata_is_kept_and_generation_follows_spec_changes(
    kube: KubeApiServer,
) -> None:
    created = seed(kube, hpa_manifest())
    meta = created["metadata"]
    annotated = kube.store.patch(
        HPA, "shop", "web", {"metadata": {"annotations": {"a": "b"}, "uid": "forged"}},
        content_type=MERGE,
    )  # fmt: skip
    respecced = kube.store.patch(
        HPA, "shop", "web", {"spec": {"maxReplicas": 9}}, content_type=MERGE
    )

    assert annotated["metadata"]["uid"] == meta["uid"]
    assert annotated["metadata"]["generation"] == 1 and respecced["metadata"]["generation"] == 2
    versions = [int(o["metadata"]["resourceVersion"]) for o in (created, annotated, respecced)]
    assert versions == sorted(set(versions))


def test_status_and_spec_are_written_through_separate_doors(kube: KubeApiServer) -> None:
    seed(kube, hpa_manifest(current_replicas=3))
    kube.store.patch(
        HPA, "shop", "web", {"status": {"currentReplicas": 9}, "spec": {"maxReplicas": 9}},
        content_type=MERGE,
    )  # fmt: skip
    kube.store.patch(
        HPA, "shop", "web", {"status": {"currentReplicas": 4}, "spec": {"maxReplicas": 30}},
        content_type=MERGE, subresource="status",
    )  # fmt: skip

    stored = kube.store.get(HPA, "shop", "web")
    assert (stored["spec"]["maxReplicas"], stored["status"]["currentReplicas"]) == (9, 4)


def test_invalid_objects_are_refused_with_422(kube: KubeApiServer, kube_client: Any) -> None:
    seed(kube, hpa_manifest(max_replicas=5))
    with pytest.raises(ApiException) as err:
        custom(kube_client).patch_namespaced_custom_object(
            "autoscaling", "v2", "shop", "horizontalpodautoscalers", "web",
            {"spec": {"minReplicas": 6}},
        )  # fmt: skip
    assert err.value.status == 422 and "minReplicas" in status_of(err.value)["message"]


def test_micro_time_fields_need_six_fractional_digits_like_the_real_server(
    kube: KubeApiServer, kube_client: Any
) -> None:
    # The typed 37.x client serializes datetimes with isoformat(): whole seconds lose ".000000".
    lease = client.V1Lease(
        metadata=client.V1ObjectMeta(name="l"),
        spec=client.V1LeaseSpec(holder_identity="a", renew_time=datetime(2026, 1, 1, tzinfo=UTC)),
    )
    with pytest.raises(ApiException) as err:
        client.CoordinationV1Api(kube_client).create_namespaced_lease("shop", lease)
    assert err.value.status == 400
    assert "2006-01-02T15:04:05.000000Z07:00" in status_of(err.value)["message"]


def test_custom_resources_refuse_strategic_merge_and_prune_unknown_fields(
    kube: KubeApiServer, kube_client: Any
) -> None:
    seed(kube, pa_manifest("checkout"))
    api = custom(kube_client)
    with pytest.raises(ApiException) as err:
        api.patch_namespaced_custom_object(
            "forescale.io", "v1alpha1", "shop", "predictiveautoscalers", "checkout",
            {"spec": {"maxReplicas": 30}},
            _content_type="application/strategic-merge-patch+json",
        )  # fmt: skip
    assert err.value.status == 415

    patched = api.patch_namespaced_custom_object(
        "forescale.io", "v1alpha1", "shop", "predictiveautoscalers", "checkout",
        {"spec": {"maxReplicas": 30, "targetCPU": 3}},
    )  # fmt: skip
    assert patched["spec"]["maxReplicas"] == 30 and "targetCPU" not in patched["spec"]
    with pytest.raises(ApiException) as strict:
        api.patch_namespaced_custom_object(
            "forescale.io", "v1alpha1", "shop", "predictiveautoscalers", "checkout",
            {"spec": {"targetCPU": 3}}, field_validation="Strict",
        )  # fmt: skip
    assert strict.value.status == 422


def test_lists_cover_one_namespace_or_all(kube: KubeApiServer, kube_client: Any) -> None:
    seed(kube, pa_manifest("a", "shop"))
    seed(kube, pa_manifest("b", "web"))
    api = custom(kube_client)

    every = api.list_cluster_custom_object("forescale.io", "v1alpha1", "predictiveautoscalers")
    shop = api.list_namespaced_custom_object(
        "forescale.io", "v1alpha1", "shop", "predictiveautoscalers"
    )
    assert [i["metadata"]["name"] for i in every["items"]] == ["a", "b"]
    assert [i["metadata"]["name"] for i in shop["items"]] == ["a"]
    assert every["kind"] == "PredictiveAutoscalerList" and every["metadata"]["resourceVersion"]
    assert kube.store.get(PREDICTIVE_AUTOSCALER, "web", "b")["metadata"]["generation"] == 1


def test_faults_fire_the_scripted_number_of_times_then_the_server_recovers(
    kube: KubeApiServer, kube_client: Any
) -> None:
    seed(kube, hpa_manifest())
    kube.faults.add(verb="GET", path="/web$", status=429, retry_after=7, times=2)
    args = ("autoscaling", "v2", "shop", "horizontalpodautoscalers", "web")
    api = custom(kube_client)
    for _ in range(2):
        with pytest.raises(ApiException) as err:
            api.get_namespaced_custom_object(*args)
        assert err.value.status == 429
        assert err.value.headers is not None and err.value.headers["Retry-After"] == "7"
    assert api.get_namespaced_custom_object(*args)["metadata"]["name"] == "web"


def test_a_delayed_reply_trips_the_clients_timeout(kube: KubeApiServer, kube_client: Any) -> None:
    seed(kube, hpa_manifest())
    kube.faults.add(verb="GET", path="/web$", delay=2.0)
    began = time.monotonic()
    with pytest.raises(Exception, match="[Tt]imed out"):
        custom(kube_client).get_namespaced_custom_object(
            "autoscaling", "v2", "shop", "horizontalpodautoscalers", "web", _request_timeout=0.2
        )
    assert time.monotonic() - began < 1.5


DELAY = 4.0


def test_a_request_the_client_gave_up_on_is_finished_before_the_next_test_starts(
    kube: KubeApiServer, kube_client: Any
) -> None:
    seed(kube, hpa_manifest())
    # The delay is long against the bound below so that a loaded machine (two cores shared by
    # parallel jobs) cannot make "cut short" look like "waited out": the bound failed once at
    # 1.1 s for a 0.5 s limit with a 1 s delay.
    kube.faults.add(verb="PATCH", path="/web$", delay=DELAY)
    with pytest.raises(Exception, match="[Tt]imed out"):
        custom(kube_client).patch_namespaced_custom_object(
            "autoscaling", "v2", "shop", "horizontalpodautoscalers", "web",
            {"spec": {"minReplicas": 7}}, _request_timeout=0.2,
        )  # fmt: skip
    began = time.monotonic()

    kube.reset()  # what the fixture does between tests

    assert time.monotonic() - began < DELAY / 2  # the delay was cut short, not waited out
    time.sleep(max(0.0, DELAY + 0.2 - (time.monotonic() - began)))  # past the scripted delay
    assert kube.requests == []  # the abandoned PATCH landed before the reset, not after it
    assert kube.store.list(HPA, None)[0] == []


def test_watch_is_refused_rather_than_faked(kube: KubeApiServer, kube_client: Any) -> None:
    with pytest.raises(ApiException) as err:
        custom(kube_client).list_cluster_custom_object(
            "forescale.io", "v1alpha1", "predictiveautoscalers", watch=True
        )
    assert err.value.status == 400 and "watch" in status_of(err.value)["message"]


def test_lists_honour_equality_label_selectors_and_refuse_others(
    kube: KubeApiServer, kube_client: Any
) -> None:
    labelled = pa_manifest("a", "shop")
    labelled["metadata"]["labels"] = {"team": "checkout"}
    seed(kube, labelled)
    seed(kube, pa_manifest("b", "shop"))
    api = custom(kube_client)
    args = ("forescale.io", "v1alpha1", "predictiveautoscalers")

    chosen = api.list_cluster_custom_object(*args, label_selector="team=checkout")
    assert [i["metadata"]["name"] for i in chosen["items"]] == ["a"]
    with pytest.raises(ApiException) as err:
        api.list_cluster_custom_object(*args, label_selector="team in (checkout)")
    assert err.value.status == 400
