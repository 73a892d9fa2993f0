"""``forescale tune`` through the console script: the recommendation, its JSON and its plot, and
clear refusals (too little history, a bad objective) with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forescale.models.datasets import synthetic_traffic
from tests.console import forescale

ARGS = ("--capacity", "40", "--startup", "5m", "--model", "seasonal_naive")


def _write(path: Path, days: int, seed: int) -> Path:
    y = synthetic_traffic(days=days, freq="5min", seed=seed)
    rows = (f"{t:%Y-%m-%dT%H:%M:%SZ},{v:.3f}" for t, v in y.items())
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("tune") / "web.csv", days=12, seed=7)


def test_the_recommendation_is_printed_with_its_expectation_and_drawn(
    trace: Path, tmp_path: Path
) -> None:
    png = tmp_path / "frontier.png"
    done = forescale("tune", str(trace), *ARGS, "--plot", str(png), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["objective"] == "same-as-hpa" and "days" in report["reason"]
    assert len(report["frontier"]) == 14
    # Same service as the HPA alone at 0.8 on that week, at the least cost among candidates.
    assert report["expectedUnservedPercent"] <= report["hpaUnservedPercent"] + 0.01 + 1e-9
    assert report["expectedReplicaHours"] == min(
        c["replicaHours"]
        for c in [*report["candidates"], *report["frontier"]]
        if c["unservedPercent"] <= report["hpaUnservedPercent"] + 0.01 + 1e-9
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    text = forescale("tune", str(trace), *ARGS, "--objective", "max-unserved:5%", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("recommendation: ") and lines[-1].startswith("saving: ")
    assert "max-unserved:5%" in lines[-1]


def test_too_little_history_and_a_bad_objective_are_refused_in_one_line(tmp_path: Path) -> None:
    short = _write(tmp_path / "short.csv", days=2, seed=1)
    done = forescale("tune", str(short), *ARGS, cwd=tmp_path)
    assert done.returncode != 0 and "too little history to tune on" in done.stderr
    assert "Traceback" not in done.stderr
    bad = forescale("tune", str(short), *ARGS, "--objective", "cheap", cwd=tmp_path)
    assert bad.returncode == 2 and "objective 'cheap' not understood" in bad.stderr
