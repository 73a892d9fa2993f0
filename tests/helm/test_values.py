"""values.yaml, values.schema.json and the code's own settings agree, and misconfigurations are
refused at `helm install` time with a message that says what to set."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from forescale.scaler.config import parse_targets_yaml
from forescale.scaler.config.settings import ForescaleSettings, load_settings
from tests.helm.chart import (
    CHART,
    VALUE_SETS,
    Doc,
    controller,
    env,
    of_kind,
    render,
    render_error,
    settings,
    settings_yaml,
)
from tests.integration.kube.schema import crd_errors

pytestmark = pytest.mark.helm

SCHEMA: Doc = json.loads((CHART / "values.schema.json").read_text())
VALUES: Doc = yaml.safe_load((CHART / "values.yaml").read_text())

# ForescaleSettings fields the chart sets itself, so that they agree with the objects it renders.
CHART_OWNED = {
    "api": {"enabled", "host", "port", "viewer_tokens", "operator_tokens"}
    | {"tls_cert_file", "tls_key_file"},
    "kubernetes": {"enabled", "namespace", "kubeconfig", "host"},
    "leader_election": {"enabled", "namespace", "lease_name", "identity"}
    | {"shards", "shard_lease_prefix", "replicas"},
    "controller": {"targets_file"},
    "prometheus": {"bearer_token_file"},
}


def closed_objects(schema: Doc, path: str = "") -> Iterator[str]:
    """Dotted paths of every object in the schema that forbids unknown keys."""
    if schema.get("additionalProperties") is False:
        yield path
    for key, sub in schema.get("properties", {}).items():
        yield from closed_objects(sub, f"{path}.{key}" if path else key)


def schema_at(path: str) -> Doc:
    node = SCHEMA
    for key in filter(None, path.split(".")):
        node = node["properties"][key]
    return node


CLOSED = [p for p in closed_objects(SCHEMA) if "targets" not in p]


@pytest.mark.parametrize("block", CLOSED, ids=lambda p: p or "(top level)")
def test_an_unknown_key_in_our_blocks_is_refused(block: str) -> None:
    key = f"{block}.replicaz" if block else "replicaz"
    error = render_error(f"{key}=1")
    assert "Additional property replicaz is not allowed" in error


def test_an_unknown_key_in_a_declared_target_spec_is_refused() -> None:
    error = render_error(
        "targets[0].name=web",
        "targets[0].spec.query=up",
        "targets[0].spec.capacityPerReplica=1",
        "targets[0].spec.maxReplicas=2",
        "targets[0].spec.target.hpa.name=web",
        "targets[0].spec.leadTimeSeconds=300",
    )
    assert "Additional property leadTimeSeconds is not allowed" in error


def test_the_target_spec_schema_names_exactly_the_crd_spec_fields() -> None:
    crd = yaml.safe_load((CHART / "crds" / "predictiveautoscalers.forescale.io.yaml").read_text())
    (version,) = crd["spec"]["versions"]
    crd_fields = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    ours = SCHEMA["properties"]["targets"]["items"]["properties"]["spec"]["properties"]
    assert set(ours) == set(crd_fields)


def test_the_schema_declares_every_default_value() -> None:
    def walk(values: Any, path: str) -> Iterator[str]:
        if not isinstance(values, dict):
            return
        node = schema_at(path)
        if node.get("additionalProperties") is not False:
            return  # free-form Kubernetes objects (resources, affinity, ...)
        for key, value in values.items():
            child = f"{path}.{key}" if path else key
            assert key in node["properties"], f"{child} is in values.yaml but not in the schema"
            yield child
            yield from walk(value, child)

    assert len(list(walk(VALUES, ""))) > 100


@pytest.mark.parametrize(
    "group", ["prometheus", "controller", "kubernetes", "leader_election", "aws", "store", "api"]
)
def test_config_offers_every_setting_the_chart_does_not_own(group: str) -> None:
    model = ForescaleSettings.model_fields[group].annotation
    assert model is not None
    fields = set(model.model_fields)
    offered = set(SCHEMA["properties"]["config"]["properties"][group]["properties"])
    assert offered == fields - CHART_OWNED.get(group, set())
    assert set(VALUES["config"][group]) == offered, "document every offered setting in values.yaml"


def leaf_keys_without_docs(text: str) -> list[str]:
    """Keys of values.yaml documented neither themselves nor by an ancestor (helm-docs `# --`)."""
    missing: list[str] = []
    stack: list[tuple[int, str, bool]] = []  # (indent, key, documented) of the enclosing keys
    comment: list[str] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped)
            continue
        match = re.match(r"^( *)([A-Za-z_][\w-]*):(.*)$", line)
        if not match:
            comment = [] if not stripped.startswith("-") else comment
            continue
        indent, key, rest = len(match[1]), match[2], match[3].strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        documented = any(c.startswith("# --") for c in comment) or any(s[2] for s in stack)
        following = next((n for n in lines[number + 1 :] if n.strip()), "")
        is_parent = not rest and len(following) - len(following.lstrip()) > indent
        is_list_parent = not rest and following.lstrip().startswith("- ")
        if not (is_parent and not is_list_parent) and not documented:
            missing.append(".".join([s[1] for s in stack] + [key]))
        stack.append((indent, key, documented))
        comment = []
    return missing


def test_every_value_is_documented_for_helm_docs() -> None:
    assert leaf_keys_without_docs((CHART / "values.yaml").read_text()) == []
    assert (
        (CHART / "values.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=values.schema.json")
    )


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_the_rendered_settings_load_into_forescale_settings(
    value_set: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(VALUE_SETS[value_set])
    path = tmp_path / "config.yaml"
    path.write_text(settings_yaml(docs))
    for name in [n for n in os.environ if n.startswith("FORESCALE_")]:
        monkeypatch.delenv(name)
    loaded = load_settings(path)
    assert loaded.api.host == "0.0.0.0" and loaded.api.port == 8080
    assert loaded.kubernetes.enabled
    assert loaded.leader_election.namespace == "forescale"
    port = controller(docs)["ports"][0]["containerPort"]
    assert port == loaded.api.port


def test_secret_environment_overrides_only_its_field_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(VALUE_SETS["staging"])
    variables = env(controller(docs))
    assert variables["FORESCALE_STORE__URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "forescale-db",
        "key": "database-url",
    }
    path = tmp_path / "config.yaml"
    path.write_text(settings_yaml(docs))
    monkeypatch.setenv("FORESCALE_STORE__URL", "postgresql+psycopg://forescale:pw@db/forescale")
    tokens = ["operator-token-number-1", "operator-token-number-2"]
    monkeypatch.setenv("FORESCALE_API__OPERATOR_TOKENS", ",".join(tokens))
    loaded = load_settings(path)
    assert loaded.store.url == "postgresql+psycopg://forescale:pw@db/forescale"
    assert loaded.store.models_url == "s3://example-forescale-staging/models"  # from the file
    assert [t.get_secret_value() for t in loaded.api.operator_tokens] == tokens


def test_tls_settings_point_at_the_mounted_certificate() -> None:
    docs = render(VALUE_SETS["prod"])
    api = settings(docs)["api"]
    container = controller(docs)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert api["tls_cert_file"] == f"{mounts['tls']}/tls.crt"
    assert api["tls_key_file"] == f"{mounts['tls']}/tls.key"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["scheme"] == "HTTPS"
    pod = of_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "forescale-api-tls"


def test_declared_targets_parse_with_the_controllers_own_parser() -> None:
    docs = render(VALUE_SETS["ci/targets-values.yaml"])
    config = next(
        d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("targets")
    )
    targets = parse_targets_yaml(config["data"]["targets.yaml"], source="chart")
    assert [(t.metadata.namespace, t.metadata.name) for t in targets] == [
        ("shop", "checkout"),
        ("forescale", "web-fleet"),
    ]
    assert settings(docs)["controller"]["targets_file"] == "/etc/forescale/targets/targets.yaml"
    mounts = {m["mountPath"] for m in controller(docs)["volumeMounts"]}
    assert "/etc/forescale/targets" in mounts
    for document in yaml.safe_load_all(config["data"]["targets.yaml"]):
        assert crd_errors(document, strict=True) == []  # also valid as custom resources


@pytest.mark.parametrize(
    ("sets", "advice"),
    [
        (["controller.replicas=2", "controller.leaderElection.enabled=false"], "leaderElection"),
        (
            ["controller.replicas=2", "config.store.url=sqlite:////var/lib/forescale/f.db"],
            "store.existingSecret",
        ),
        (["config.store.url=sqlite:////data/f.db"], "sqlite:////var/lib/forescale/forescale.db"),
        (["config.store.models_url=/models"], "s3://bucket/prefix"),
        (["training.enabled=true"], "config.store.models_url"),
        (
            ["training.enabled=true", "config.store.models_url=/var/lib/forescale/m"],
            "ReadWriteMany",
        ),
        (["api.tls.enabled=true"], "api.tls.secretName"),
        (["sentry.enabled=true"], "sentry.existingSecret"),
        (["config.controller.interval_seconds=0"], "Must be greater than or equal to 1"),
        (["config.log_level=TRACE"], "config.log_level"),
    ],
)
def test_misconfigurations_are_refused_with_advice(sets: list[str], advice: str) -> None:
    assert advice in render_error(*sets)
