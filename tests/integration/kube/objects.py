"""Manifests for tests, validated before use, and seeding them into the test API server.

Every manifest a test builds goes through ``kubernetes-validate --strict`` (built-in kinds) or
the CRD schema in strict mode (PredictiveAutoscaler), so a test can never pass on an object a
real cluster would refuse. `seed` stores it through the server's own write path (defaults,
resourceVersion, status subresource), without HTTP: arranging state is not what is under test.
"""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate

from tests.integration.kube import schema
from tests.integration.kube.resources import (
    HPA,
    KUBERNETES_VERSION,
    PREDICTIVE_AUTOSCALER,
    RESOURCES,
    ResourceType,
)
from tests.integration.kube.server import KubeApiServer

__all__ = ["asg_manifest", "hpa_manifest", "pa_manifest", "seed", "stored_hpa", "validated"]

Obj = dict[str, Any]


def validated(manifest: Obj) -> Obj:
    """``manifest`` unchanged, after checking it as a real cluster would (raises if invalid)."""
    if manifest.get("kind") == PREDICTIVE_AUTOSCALER.kind:
        problems = schema.crd_errors(manifest, strict=True)
        if problems:
            raise ValueError(f"invalid PredictiveAutoscaler: {problems}")
    else:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    return manifest


def hpa_manifest(
    name: str = "web",
    namespace: str = "shop",
    *,
    min_replicas: int = 2,
    max_replicas: int = 10,
    current_replicas: int | None = None,
    annotations: dict[str, str] | None = None,
) -> Obj:
    manifest: Obj = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }
    if annotations:
        manifest["metadata"]["annotations"] = dict(annotations)
    if current_replicas is not None:
        manifest["status"] = {
            "currentReplicas": current_replicas,
            "desiredReplicas": current_replicas,
        }
    return validated(manifest)


def pa_manifest(name: str = "web", namespace: str = "shop", **spec: Any) -> Obj:
    """A PredictiveAutoscaler for HPA ``name``; keyword arguments override spec fields."""
    base: Obj = {
        "target": {"hpa": {"name": name}},
        "query": f'sum(rate(http_requests_total{{service="{name}"}}[1m]))',
        "capacityPerReplica": 100,
        "maxReplicas": 20,
    }
    base.update(spec)
    return validated(
        {
            "apiVersion": PREDICTIVE_AUTOSCALER.api_version,
            "kind": PREDICTIVE_AUTOSCALER.kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": base,
        }
    )


def asg_manifest(name: str = "fleet", namespace: str = "shop", **spec: Any) -> Obj:
    """A PredictiveAutoscaler for Auto Scaling group ``name`` in eu-west-1 (``region=`` in the
    target, other keyword arguments override spec fields)."""
    region = spec.pop("region", "eu-west-1")
    return pa_manifest(
        name, namespace, target={"asg": {"name": name, "region": region}}, query="up", **spec
    )


def _type_of(manifest: Obj) -> ResourceType:
    for rt in RESOURCES:
        if (rt.api_version, rt.kind) == (manifest["apiVersion"], manifest["kind"]):
            return rt
    raise KeyError(f"the test server does not serve {manifest['apiVersion']} {manifest['kind']}")


def seed(server: KubeApiServer, manifest: Obj) -> Obj:
    """Store ``manifest`` (and its ``status``, through the status subresource); the stored
    object is returned, with uid and resourceVersion."""
    rt = _type_of(manifest)
    namespace = manifest["metadata"].get("namespace", "default")
    stored = server.store.create(rt, namespace, copy.deepcopy(manifest))
    if "status" in manifest and rt.status_subresource:
        stored = server.store.update(
            rt,
            namespace,
            stored["metadata"]["name"],
            {
                "metadata": {"resourceVersion": stored["metadata"]["resourceVersion"]},
                "status": manifest["status"],
            },
            subresource="status",
        )
    return stored


def stored_hpa(server: KubeApiServer, name: str = "web", namespace: str = "shop") -> Obj:
    return server.store.get(HPA, namespace, name)
