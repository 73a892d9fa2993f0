"""``--hpa-behavior FILE.yaml`` on ``forescale simulate`` and ``tune``: the replays scale as the
user's HPA does, and a behavior Kubernetes would reject is refused in one line naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.console import forescale

QUICK = ("--capacity", "10", "--startup", "1m", "--target-utilization", "1",
         "--model", "seasonal_naive", "--hpa-target", "off")  # fmt: skip
FAST_DOWN = "scaleDown:\n  stabilizationWindowSeconds: 0\n"


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 minutes asking for 100 replicas (1,000 at 10 each), then 20 asking for 10."""
    path = tmp_path_factory.mktemp("traces") / "drop.csv"
    loads = [1000] * 40 + [100] * 20
    rows = (f"2026-01-05T00:{m:02d}:00Z,{v}" for m, v in enumerate(loads))
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    return path


def _reactive(trace: Path, tmp_path: Path, *extra: str) -> list[int]:
    out = tmp_path / "decisions.csv"
    done = forescale("simulate", str(trace), *QUICK, "--out", str(out), *extra, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return [int(row.split(",")[3]) for row in out.read_text().splitlines()[1:]]


def test_the_hpa_alone_scales_down_as_the_given_behavior_says(drop: Path, tmp_path: Path) -> None:
    default = _reactive(drop, tmp_path)
    # The default 300 s window: the drop at minute 40 shows from minute 45 (held most of it).
    assert default[38:47] == [100] * 7 + [10] * 2
    behavior = tmp_path / "behavior.yaml"
    behavior.write_text(FAST_DOWN)
    fast = _reactive(drop, tmp_path, "--hpa-behavior", str(behavior))
    assert fast[38:47] == [100] * 2 + [10] * 7  # at once
    # The whole HPA manifest works too: its spec.behavior is used.
    manifest = tmp_path / "hpa.yaml"
    manifest.write_text(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n"
        "spec:\n  maxReplicas: 100\n  behavior:\n    scaleDown:\n"
        "      stabilizationWindowSeconds: 0\n      policies:\n"
        "      - {type: Pods, value: 30, periodSeconds: 60}\n"
    )
    # -30 pods a minute: 100, 70, 40, 10.
    staircase = _reactive(drop, tmp_path, "--hpa-behavior", str(manifest))[38:45]
    assert staircase == [100, 100, 70, 40, 10, 10, 10]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("scaleDown:\n  policies:\n  - {type: Percent, value: 10, periodSecond: 60}\n",
         "behavior.scaleDown.policies[0].periodSecond: unknown field"),
        ("scaleUp:\n  stabilizationWindowSeconds: 7200\n",
         "behavior.scaleUp.stabilizationWindowSeconds: must be in [0, 3600]"),
        ("kind: HorizontalPodAutoscaler\nspec:\n  behavior:\n    scaleUp: {selectPolicy: max}\n",
         "spec.behavior.scaleUp.selectPolicy: must be one of Max, Min, Disabled"),
        ("kind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 3\n", "has no spec.behavior"),
        ("scaleDown: [\n", "is not valid YAML"),
    ],
)  # fmt: skip
def test_a_bad_behavior_file_is_refused_naming_the_field(
    content: str, message: str, drop: Path, tmp_path: Path
) -> None:
    path = tmp_path / "behavior.yaml"
    path.write_text(content)
    for command in ("simulate", "tune"):
        done = forescale(command, str(drop), *QUICK[:-2], "--hpa-behavior", str(path),
                         cwd=tmp_path)  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "argument --hpa-behavior" in done.stderr and message in done.stderr
        assert "Traceback" not in done.stderr


def test_a_missing_behavior_file_is_refused(drop: Path, tmp_path: Path) -> None:
    done = forescale("simulate", str(drop), *QUICK, "--hpa-behavior", "nope.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "cannot read nope.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_tune_scores_against_the_given_hpa(tmp_path: Path) -> None:
    """The HPA alone of the recommendation is the user's: with scale-downs at once it costs
    less than the default HPA on the same history."""
    from tests.scaler.cli.test_tune_console import ARGS, _write

    trace = _write(tmp_path / "web.csv", days=12, seed=7)
    behavior = tmp_path / "behavior.yaml"
    behavior.write_text(FAST_DOWN)
    reports = []
    for extra in ((), ("--hpa-behavior", str(behavior))):
        done = forescale("tune", str(trace), *ARGS, "--json", *extra, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        reports.append(json.loads(done.stdout))
    default, fast_down = reports
    assert fast_down["hpaReplicaHours"] < default["hpaReplicaHours"]
