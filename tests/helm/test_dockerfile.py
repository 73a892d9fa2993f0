"""The image definition holds its promises without a Docker engine to build it: a builder stage and
a compiler-free final stage, locked dependencies, a non-root user matching the chart, the
`forescale` entrypoint, and a build context that carries nothing but the sources."""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest
import yaml

from tests.conftest import REPO
from tests.helm import dockerfile
from tests.helm.chart import CHART

pytestmark = pytest.mark.helm

TEXT = (REPO / "Dockerfile").read_text()
IGNORE = (REPO / ".dockerignore").read_text()
STAGES = dockerfile.parse(TEXT)
FINAL = STAGES[-1]
BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|make|cmake|git|curl|wget)\b")
SECRET_WORDS = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|DSN|CREDENTIAL", re.IGNORECASE)


def test_the_parser_joins_continuations_and_reads_both_forms() -> None:
    stages = dockerfile.parse(
        "# syntax=docker/dockerfile:1\nFROM a:1 AS b\nRUN x \\\n  # note\n  && y\n"
        'FROM c:2\nCOPY --from=b /w /w\nENTRYPOINT ["e", "f"]\nCMD run'
    )
    assert [(s.image, s.name) for s in stages] == [("a:1", "b"), ("c:2", None)]
    assert stages[0].instructions[0].args == ["x", "&&", "y"]
    copy, entry, cmd = stages[1].instructions
    assert copy.flags == {"from": "b"} and entry.exec_form and not cmd.exec_form
    with pytest.raises(ValueError, match="before the first FROM"):
        dockerfile.parse("RUN true\nFROM a:1")


def test_the_image_is_built_in_stages_from_a_pinned_slim_python() -> None:
    assert len(STAGES) >= 2 and STAGES[0].name == "builder"
    for stage in STAGES:
        image, _, tag = stage.image.partition(":")
        assert image == "python", stage.image
        assert re.fullmatch(r"3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", tag), stage.image


def test_wheels_come_from_the_runtime_lock_and_install_offline() -> None:
    builder_runs = " ".join(" ".join(i.args) for i in STAGES[0].all("RUN"))
    assert "--requirement requirements/runtime.lock" in builder_runs
    (install,) = [i for i in FINAL.all("RUN") if "pip" in i.args and "install" in i.args]
    assert "--no-index" in install.args
    assert install.flags["mount"].startswith("type=bind,from=builder")


def test_the_final_stage_has_no_build_tools_and_adds_nothing_from_urls() -> None:
    for instruction in FINAL.instructions:
        if instruction.keyword == "RUN":
            assert not BUILD_TOOLS.search(" ".join(instruction.args)), instruction
    for stage in STAGES:
        assert not stage.all("ADD"), "use COPY: ADD fetches URLs and unpacks archives"
        for copy in stage.all("COPY"):
            assert not any("://" in a for a in copy.args)


def test_the_process_runs_as_the_non_root_user_the_chart_expects() -> None:
    users = FINAL.all("USER")
    assert users, "the final stage must switch to a non-root USER"
    uid, _, gid = users[-1].args[0].partition(":")
    values = yaml.safe_load((CHART / "values.yaml").read_text())["podSecurityContext"]
    assert (int(uid), int(gid)) == (
        values["runAsUser"],
        values["runAsGroup"],
    )  # numeric: runAsNonRoot
    after_user = FINAL.instructions[FINAL.instructions.index(users[-1]) :]
    assert not [i for i in after_user if i.keyword == "RUN"], "nothing runs as root after USER"


def test_the_entrypoint_is_forescale_and_runs_the_controller_by_default() -> None:
    (entrypoint,) = FINAL.all("ENTRYPOINT")
    (cmd,) = FINAL.all("CMD")
    assert entrypoint.exec_form and entrypoint.args == ["forescale"]
    assert cmd.exec_form and cmd.args == ["run"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "forescale" in scripts


def test_no_secret_is_baked_into_the_image() -> None:
    for stage in STAGES:
        for instruction in stage.instructions:
            if instruction.keyword in {"ENV", "ARG", "LABEL"}:
                names = [a.split("=", 1)[0] for a in instruction.args if "=" in a]
                assert not [n for n in names if SECRET_WORDS.search(n)], instruction
    assert ".aws" not in TEXT and "AWS_ACCESS_KEY" not in TEXT


def test_every_copied_source_is_in_the_build_context() -> None:
    for stage in STAGES:
        for copy in stage.all("COPY"):
            if "from" in copy.flags:
                continue
            for source in copy.args[:-1]:
                assert (REPO / source).exists(), source
                assert not dockerfile.ignored(source.rstrip("/"), IGNORE), source


def test_the_build_context_holds_the_sources_and_nothing_local_or_secret() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    sent = {p for p in tracked if not dockerfile.ignored(p, IGNORE)}
    assert {p for p in sent if "/" not in p} == {"pyproject.toml", "README.md"}
    assert {p.split("/")[0] for p in sent if "/" in p} == {
        "forescale",
        "models",
        "scaler",
        "service",
        "requirements",
    }
    assert "scaler/kube/crd.yaml" in sent and "requirements/runtime.lock" in sent
    for local in (
        ".venv/bin/python",
        ".tools/helm/helm",
        ".git/config",
        "forescale.db",
        "scaler/__pycache__/x.pyc",
        "notebooks/01.ipynb",
        "tests/conftest.py",
    ):
        assert dockerfile.ignored(local, IGNORE), local
