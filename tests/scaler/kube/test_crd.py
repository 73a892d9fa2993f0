"""The PredictiveAutoscaler CRD is a valid manifest and accepts exactly what the parser accepts."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import BaseModel

from forescale.scaler.config import parse_target
from forescale.scaler.config import targets as config_targets
from forescale.scaler.errors import ConfigError
from forescale.scaler.kube import crd_path
from tests.conftest import REPO
from tests.integration.kube.objects import pa_manifest
from tests.integration.kube.schema import crd_errors
from tests.scaler.config.test_targets import GOOD

Obj = dict[str, Any]


def crd() -> Obj:
    document = yaml.safe_load(crd_path().read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def version_schema() -> Obj:
    (version,) = crd()["spec"]["versions"]
    return version  # type: ignore[no-any-return]


def as_sent_by_kubectl(document: Any) -> Obj:
    """YAML timestamps become RFC 3339 strings, as kubectl sends them."""

    def text(value: Any) -> str:
        if isinstance(value, datetime | date):
            return value.isoformat().replace("+00:00", "Z")
        raise TypeError(type(value))

    return json.loads(json.dumps(document, default=text))  # type: ignore[no-any-return]


def documented_examples() -> list[Obj]:
    """The example in scaler/config/targets.py's docstring and the parser tests' documents."""
    doc = config_targets.__doc__ or ""
    block = doc.split("::\n", 1)[1].split("\n\nPydantic", 1)[0]
    examples = [yaml.safe_load(textwrap.dedent(block))]
    examples += [d for d in yaml.safe_load_all(GOOD) if d]
    return [as_sent_by_kubectl(e) for e in examples]


def test_the_crd_is_a_valid_kubernetes_manifest() -> None:
    assert kubernetes_validate.validate(crd(), "1.32.0", strict=True) == "1.32"


def test_the_kubernetes_validate_command_accepts_the_crd_file_in_strict_mode() -> None:
    command = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run(
        [str(command), "-k", "1.32.0", "--strict", str(crd_path())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout + result.stderr


def test_the_crd_defines_a_namespaced_forescale_io_v1alpha1_kind_with_short_name_pa() -> None:
    spec = crd()["spec"]
    assert crd()["metadata"]["name"] == "predictiveautoscalers.forescale.io"
    assert (spec["group"], spec["scope"]) == ("forescale.io", "Namespaced")
    assert spec["names"]["kind"] == "PredictiveAutoscaler" and spec["names"]["shortNames"] == ["pa"]
    version = version_schema()
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}


@pytest.mark.parametrize("example", documented_examples(), ids=lambda e: e["metadata"]["name"])
def test_every_documented_example_is_accepted_by_both_the_parser_and_the_crd(example: Obj) -> None:
    parse_target(example)
    assert crd_errors(example, strict=True) == []


INVALID: dict[str, tuple[str, Any]] = {
    "maxReplicas missing": ("maxReplicas", None),
    "capacity negative": ("capacityPerReplica", -1),
    "capacity zero": ("capacityPerReplica", 0),
    "lead time without unit": ("leadTime", 180),
    "lead time in words": ("leadTime", "5 minutes"),
    "both hpa and asg": ("target", {"hpa": {"name": "a"}, "asg": {"name": "b", "region": "r"}}),
    "neither hpa nor asg": ("target", {}),
    "asg without region": ("target", {"asg": {"name": "b"}}),
    "empty query": ("query", ""),
    "unknown mode": ("mode", "Sometimes"),
    "quantile of one": ("quantile", 1),
    "utilization above one": ("targetUtilization", 1.5),
    "negative minReplicas": ("minReplicas", -1),
    "window with a start only": (
        "scheduledFloors",
        [{"name": "sale", "minReplicas": 3, "start": "2026-11-27T00:00:00Z"}],
    ),
    "one-off and weekly at once": (
        "scheduledFloors",
        [
            {
                "name": "sale",
                "minReplicas": 3,
                "start": "2026-11-27T00:00:00Z",
                "end": "2026-11-28T00:00:00Z",
                "startTime": "08:00",
                "endTime": "10:00",
            }
        ],
    ),  # fmt: skip
    "unknown weekday": (
        "scheduledFloors",
        [
            {
                "name": "m",
                "minReplicas": 3,
                "days": ["Funday"],
                "startTime": "08:00",
                "endTime": "10:00",
            }
        ],
    ),  # fmt: skip
    "unknown field": ("targetCPU", 3),
    "unknown hpaTarget": ("hpaTarget", "Always"),
    "empty hpaTargetMetric": ("hpaTargetMetric", ""),
}


@pytest.mark.parametrize(("field", "value"), INVALID.values(), ids=INVALID.keys())
def test_invalid_specs_are_refused_by_both_the_parser_and_the_crd(field: str, value: Any) -> None:
    document = copy.deepcopy(pa_manifest("checkout"))
    if value is None:
        del document["spec"][field]
    else:
        document["spec"][field] = value

    with pytest.raises(ConfigError):
        parse_target(document)
    assert crd_errors(document, strict=True) != []


def test_min_above_max_is_a_cel_rule_since_json_schema_cannot_compare_fields() -> None:
    rules = version_schema()["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "x-kubernetes-validations"
    ]
    assert {"rule": "!has(self.minReplicas) || self.maxReplicas >= self.minReplicas",
            "message": "maxReplicas must be >= minReplicas"} in rules  # fmt: skip


def test_applying_the_tuned_hpa_target_without_tuned_tuning_is_a_cel_rule() -> None:
    rules = version_schema()["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "x-kubernetes-validations"
    ]
    assert {"rule": "!has(self.hpaTarget) || self.hpaTarget != 'Apply' || "
                    "(has(self.tuning) && self.tuning == 'Tuned')",
            "message": "hpaTarget: Apply needs tuning: Tuned"} in rules  # fmt: skip
    with pytest.raises(ConfigError, match="spec.hpaTarget"):
        parse_target({**pa_manifest("checkout"), "spec": {
            **pa_manifest("checkout")["spec"], "hpaTarget": "Apply"}})  # fmt: skip


def _aliases(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


def _required(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items() if f.is_required()}


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (config_targets.TargetSpecModel, ["spec"]),
        (config_targets.TargetRefModel, ["spec", "target"]),
        (config_targets.HpaTarget, ["spec", "target", "hpa"]),
        (config_targets.AsgTarget, ["spec", "target", "asg"]),
        (config_targets.ScheduledFloorModel, ["spec", "scheduledFloors", "[]"]),
    ],
    ids=lambda p: p.__name__ if isinstance(p, type) else ".".join(p),
)
def test_the_crd_declares_the_same_fields_and_required_fields_as_the_parser(
    model: type[BaseModel], path: list[str]
) -> None:
    node = version_schema()["schema"]["openAPIV3Schema"]
    for part in path:
        node = node["items"] if part == "[]" else node["properties"][part]
    assert set(node["properties"]) == _aliases(model)
    assert set(node.get("required", [])) == _required(model)


def _walk(node: Obj, path: str) -> list[str]:
    """Structural-schema rules the API server enforces when the CRD is created."""
    problems = []
    if node.get("additionalProperties") is False:
        problems.append(f"{path}: additionalProperties: false is not structural")
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(key, []):
            if {"type", "description", "default", "nullable"} & set(branch):
                problems.append(f"{path}.{key}: may not set type/description/default/nullable")
            outside = set(node.get("properties", {}))
            if not set(branch.get("required", [])) <= outside:
                problems.append(f"{path}.{key}: requires fields not declared outside")
    if "properties" in node or "items" in node:
        if "type" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
            problems.append(f"{path}: needs a type")
    for name, child in node.get("properties", {}).items():
        if "type" not in child:
            problems.append(f"{path}.{name}: needs a type")
        problems += _walk(child, f"{path}.{name}")
    if "items" in node:
        problems += _walk(node["items"], f"{path}[]")
    return problems


def test_the_schema_is_structural() -> None:
    assert _walk(version_schema()["schema"]["openAPIV3Schema"], "") == []


def test_printer_columns_show_target_mode_floor_reactive_model_paused_tuning_problem_and_age() -> (
    None
):
    columns = version_schema()["additionalPrinterColumns"]
    default = [c["name"] for c in columns if c.get("priority", 0) == 0]
    assert default == [
        "Target", "Mode", "Floor", "Reactive", "Model", "Paused", "Tuning", "Problem", "Age"
    ]  # fmt: skip
    (paused,) = [c for c in columns if c["name"] == "Paused"]
    assert paused["jsonPath"] == ".metadata.annotations.forescale\\.io/paused"  # the pause
    status = version_schema()["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    for column in columns:
        path = column["jsonPath"]
        if path.startswith(".status."):
            assert path.split(".")[2].split("[")[0] in status, path


def test_the_crd_ships_as_package_data() -> None:
    assert crd_path().is_file()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["*"]


def test_the_chart_ships_the_same_crd() -> None:
    chart_copy = REPO / "helm" / "forescale" / "crds" / "predictiveautoscalers.forescale.io.yaml"
    assert chart_copy.read_text(encoding="utf-8") == crd_path().read_text(encoding="utf-8")
