"""Rendering the Forescale chart with the real helm binary, for the chart tests.

`render` runs ``helm template`` once per distinct set of arguments and returns freshly parsed
documents, CRDs included. `VALUE_SETS`
names every values file the chart ships, so a new ``ci/*.yaml`` or environment file is tested
without touching the tests.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, require

CHART = REPO / "helm" / "forescale"
HELM = REPO / ".tools" / "helm" / "helm"
KUBE_VERSION = "1.32.0"
RELEASE = "forescale"
NAMESPACE = "forescale"

Doc = dict[str, Any]


def _value_sets() -> dict[str, tuple[str, ...]]:
    sets: dict[str, tuple[str, ...]] = {"defaults": ()}
    for path in sorted(CHART.glob("ci/*.yaml")):
        sets[f"ci/{path.name}"] = (str(path.relative_to(CHART)),)
    for path in sorted(CHART.glob("values-*.yaml")):
        sets[path.stem.removeprefix("values-")] = (path.name,)
    return sets


VALUE_SETS = _value_sets()
ENVIRONMENTS = ("dev", "staging", "prod")


def helm_binary() -> str:
    """The pinned helm from scripts/system-deps.sh, else one on PATH; fails in CI when absent."""
    found = str(HELM) if HELM.is_file() else shutil.which("helm")
    require("helm", found is not None, "run ./scripts/system-deps.sh (extracts .tools/helm/helm)")
    assert found is not None
    return found


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    """``helm ARGS`` in the chart directory (not checked: callers assert on the outcome)."""
    return subprocess.run(
        [helm_binary(), *args], cwd=CHART, capture_output=True, text=True, timeout=60, check=False
    )


def value_args(files: tuple[str, ...], sets: tuple[str, ...] = ()) -> list[str]:
    args = [arg for f in files for arg in ("-f", f)]
    return args + [arg for s in sets for arg in ("--set", s)]


@functools.cache
def _template(files: tuple[str, ...], sets: tuple[str, ...]) -> str:
    done = helm(
        "template",
        RELEASE,
        ".",
        "--namespace",
        NAMESPACE,
        "--kube-version",
        KUBE_VERSION,
        "--include-crds",
        *value_args(files, sets),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def render(files: tuple[str, ...] = (), sets: tuple[str, ...] = ()) -> tuple[Doc, ...]:
    """The manifests ``helm template`` produces (CRDs and test hooks included), freshly parsed so
    that a test may change them; helm itself runs once per distinct arguments."""
    text = _template(files, sets)
    return tuple(d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d)


def render_error(*sets: str, files: tuple[str, ...] = ()) -> str:
    """The error helm prints for values that must be refused (fails if helm renders them)."""
    done = helm("template", RELEASE, ".", "--kube-version", KUBE_VERSION, *value_args(files, sets))
    assert done.returncode != 0, f"helm accepted {sets}"
    return done.stderr


def of_kind(docs: tuple[Doc, ...], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: tuple[Doc, ...], kind: str) -> Doc:
    (found,) = of_kind(docs, kind)
    return found


def pod_specs(docs: tuple[Doc, ...]) -> Iterator[tuple[str, Doc]]:
    """Every pod template: Deployments, CronJobs and bare Pods (the chart test)."""
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "Deployment":
            yield name, doc["spec"]["template"]["spec"]
        elif doc["kind"] == "CronJob":
            yield name, doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif doc["kind"] == "Pod":
            yield name, doc["spec"]


def controller(docs: tuple[Doc, ...]) -> Doc:
    """The controller container of the Deployment."""
    (container,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def settings_yaml(docs: tuple[Doc, ...]) -> str:
    config = next(
        d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-config")
    )
    return config["data"]["config.yaml"]  # type: ignore[no-any-return]


def settings(docs: tuple[Doc, ...]) -> Doc:
    loaded = yaml.safe_load(settings_yaml(docs))
    assert isinstance(loaded, dict)
    return loaded


def pod_environment(
    monkeypatch: pytest.MonkeyPatch, workdir: Path, *, kube: str, identity: str, **more: str
) -> None:
    """The controller pod's ``FORESCALE_*`` environment, mapped to this machine: only what the
    chart passes (the database URL, here a SQLite file in ``workdir``; the pod's name as the
    identity), the test API server as the cluster, and ``more`` (``GROUP__FIELD=value``)."""
    for name in [n for n in os.environ if n.startswith("FORESCALE_")]:
        monkeypatch.delenv(name)
    for name, value in more.items():
        monkeypatch.setenv(f"FORESCALE_{name}", value)
    monkeypatch.setenv("FORESCALE_STORE__URL", f"sqlite:///{workdir / 'forescale.db'}")
    monkeypatch.setenv("FORESCALE_LEADER_ELECTION__IDENTITY", identity)
    monkeypatch.setenv("FORESCALE_KUBERNETES__HOST", kube)


def env(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


def chart_file(name: str) -> Path:
    return CHART / name
