"""Every shipped value set lints strictly, renders, and yields manifests Kubernetes would accept.

helm v3 (the pinned binary) is the reference; the Helm v4 SDK (helm-python-sdk) must render the
same objects, so the chart keeps working for users who moved to Helm 4.
"""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate
import pytest
import yaml

from tests.conftest import require
from tests.helm.chart import (
    CHART,
    NAMESPACE,
    RELEASE,
    VALUE_SETS,
    Doc,
    helm,
    of_kind,
    render,
)

pytestmark = pytest.mark.helm

# prometheus-operator kinds are CRDs kubernetes-validate has no schema for: they are checked
# below against the fields of monitoring.coreos.com/v1 the chart uses, and promtool checks the
# rules themselves (test_monitoring.py).
MONITORING_KINDS = {"ServiceMonitor", "PrometheusRule"}
KUBE_VERSIONS = ("1.28.0", "1.32.0")  # the chart's kubeVersion floor and the current target

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA = {
    "type": "object",
    "required": ["name", "namespace", "labels"],
    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
}


def monitoring_object(spec: Doc) -> Doc:
    """A monitoring.coreos.com/v1 object whose ``spec`` follows the given schema."""
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "metadata": METADATA,
            "spec": spec,
        },
    }


SERVICE_MONITOR = monitoring_object(
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["selector", "endpoints"],
        "properties": {
            "namespaceSelector": {
                "type": "object",
                "properties": {"matchNames": {"type": "array", "items": {"type": "string"}}},
                "additionalProperties": False,
            },
            "selector": {
                "type": "object",
                "properties": {"matchLabels": STRING_MAP},
                "additionalProperties": False,
            },
            "endpoints": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["port", "path", "scheme"],
                    "properties": {
                        "port": {"type": "string"},
                        "path": {"type": "string"},
                        "scheme": {"enum": ["http", "https"]},
                        "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                        "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                        "tlsConfig": {"type": "object"},
                        "relabelings": {"type": "array", "items": {"type": "object"}},
                        "metricRelabelings": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
        },
    },
)
PROMETHEUS_RULE = monitoring_object(
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"},
                        "rules": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["expr"],
                                "additionalProperties": False,
                                "properties": {
                                    "alert": {"type": "string"},
                                    "record": {"type": "string"},
                                    "expr": {"type": "string"},
                                    "for": {"type": "string"},
                                    "labels": STRING_MAP,
                                    "annotations": STRING_MAP,
                                },
                            },
                        },
                    },
                },
            }
        },
    },
)


def name_of(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_lint_strict_passes(value_set: str) -> None:
    files = [arg for f in VALUE_SETS[value_set] for arg in ("-f", f)]
    done = helm("lint", "--strict", ".", *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_rendered_manifests_are_valid_kubernetes_objects(value_set: str, kube_version: str) -> None:
    docs = render(VALUE_SETS[value_set])
    problems = []
    for doc in docs:
        if doc["kind"] in MONITORING_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{name_of(doc)}: {exc.message} at {list(exc.path)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_monitoring_objects_use_only_prometheus_operator_fields(value_set: str) -> None:
    docs = render(VALUE_SETS[value_set])
    for doc in of_kind(docs, "ServiceMonitor"):
        jsonschema.validate(doc, SERVICE_MONITOR)
    for doc in of_kind(docs, "PrometheusRule"):
        jsonschema.validate(doc, PROMETHEUS_RULE)


def test_every_namespaced_object_lands_in_the_release_namespace_or_a_chosen_one() -> None:
    docs = render(VALUE_SETS["ci/monitoring-values.yaml"])
    placed = {name_of(d): d["metadata"].get("namespace") for d in docs}
    assert placed["ConfigMap/forescale-dashboard"] == "monitoring"
    cluster_scoped = {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
    for doc in docs:
        if doc["kind"] in cluster_scoped:
            assert "namespace" not in doc["metadata"], name_of(doc)
        elif name_of(doc) != "ConfigMap/forescale-dashboard":
            assert doc["metadata"]["namespace"] == NAMESPACE, name_of(doc)


def _sdk_manifests(values: dict[str, Any]) -> list[Doc]:
    import helm_python

    chart = helm_python.Chart.load(str(CHART))
    rendered = chart.render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    texts = [text for path, text in rendered.items() if not path.endswith("NOTES.txt")]
    return [d for text in texts for d in yaml.safe_load_all(text) if d]


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_v4_sdk_renders_the_same_objects_as_helm_v3(value_set: str) -> None:
    require("helm-python-sdk", _has_sdk(), "pip install helm-python-sdk (in the dev extras)")
    values: dict[str, Any] = {}
    for path in VALUE_SETS[value_set]:
        values = _merge(values, yaml.safe_load((CHART / path).read_text()) or {})
    v3 = sorted(
        (name_of(d), d)
        for d in render(VALUE_SETS[value_set])
        if d["kind"] != "CustomResourceDefinition"
    )
    v4 = sorted((name_of(d), d) for d in _sdk_manifests(values))
    assert [n for n, _ in v4] == [n for n, _ in v3]
    for (name, ours), (_, theirs) in zip(v4, v3, strict=True):
        assert ours == theirs, name


def _has_sdk() -> bool:
    try:
        import helm_python  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
