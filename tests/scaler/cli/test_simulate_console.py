"""``forescale simulate`` and ``backtest`` through the console script: what they say about the
trace and the flags on stderr, and what they refuse before any work."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from forescale.models.datasets import synthetic_traffic
from tests.console import forescale

QUICK = ("--capacity", "20", "--model", "seasonal_naive", "--hpa-target", "off")
"""Tuning off: three days are too few to tune on, and these tests are about the floors."""


@pytest.fixture(scope="module")
def gappy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days at one minute: five empty values and a two-hour hole with no rows."""
    y = synthetic_traffic(days=3, freq="1min", seed=3)
    y.iloc[100:105] = float("nan")
    y = y.drop(y.index[2000:2120])
    path = tmp_path_factory.mktemp("traces") / "gappy.csv"
    rows = (f"{t:%Y-%m-%dT%H:%M:%SZ},{'' if v != v else int(v)}" for t, v in y.items())
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    return path


def test_gaps_are_reported_and_their_hours_named_beside_the_figures(
    gappy: Path, tmp_path: Path
) -> None:
    done = forescale("simulate", str(gappy), *QUICK, "--startup", "5m", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "note: " in done.stderr and "125 of 4,320 steps have no value" in done.stderr
    header, rule, *rows, floor, gaps = done.stdout.strip().splitlines()
    assert header.split("  ")[0] == "policy" and "under-provisioned %" in header
    assert [row.split()[0] for row in rows] == ["predictive", "reactive", "oracle"]
    assert re.fullmatch(
        r"floor: [\d.]+ writes/h, [\d.]+ reversals/h \([\d,]+ minReplicas writes, [\d,]+ of them "
        r"reversing the one before\)",
        floor,
    )
    assert gaps.startswith("gaps: 2.1 h of the 72.0 h replayed have no load")
    assert "warning" not in done.stderr


def test_a_trace_too_short_to_tune_on_is_said_to_have_run_in_shadow(
    gappy: Path, tmp_path: Path
) -> None:
    done = forescale("simulate", str(gappy), "--capacity", "20", "--model", "seasonal_naive",
                     "--startup", "5m", "--json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "warning: Forescale forecast in shadow throughout" in done.stderr
    assert json.loads(done.stdout)["tuning"]["tunings"] == 0


def test_a_startup_shorter_than_the_step_is_warned(gappy: Path, tmp_path: Path) -> None:
    done = forescale("simulate", str(gappy), *QUICK, "--startup", "30s", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == {"predictive", "reactive", "oracle", "tuning"}
    assert "warning: --startup 30s is shorter than the trace's step (1m)" in done.stderr


def test_json_gives_the_floor_writes_and_reversals_per_hour_that_out_shows(
    gappy: Path, tmp_path: Path
) -> None:
    """Issue 16 item 5: each change of the floor is a minReplicas write; ``--json`` counts them
    per hour replayed, and they can be recounted by hand from ``--out``'s ``floor`` column."""
    out = tmp_path / "decisions.csv"
    done = forescale("simulate", str(gappy), *QUICK, "--startup", "5m", "--min-replicas", "2",
                     "--json", "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    predictive = json.loads(done.stdout)["predictive"]
    rows = out.read_text().splitlines()
    assert rows[0] == "timestamp,load,predictive,reactive,floor"
    # Where no floor is set the HPA's own minimum (2) applies; a write is any change of that.
    effective = [int(float(row.split(",")[4] or 2)) for row in rows[1:]]
    moves = [b - a for a, b in zip(effective, effective[1:], strict=False) if b != a]
    turns = sum((a > 0) != (b > 0) for a, b in zip(moves, moves[1:], strict=False))
    hours = len(effective) / 60  # one-minute steps
    assert moves and turns
    assert predictive["floor_writes_per_hour"] == pytest.approx(len(moves) / hours)
    assert predictive["floor_reversals_per_hour"] == pytest.approx(turns / hours)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("-5m", "duration '-5m' must be positive, e.g. 5m"),
        (
            "5x",
            "invalid duration '5x': use a number and a unit s, m, h or d, e.g. 90s, 5m, 6h, 14d",
        ),
    ],
)
def test_one_message_for_a_bad_duration_whatever_the_command(
    flag: str, message: str, gappy: Path, tmp_path: Path
) -> None:
    done = forescale("simulate", str(gappy), *QUICK, "--startup", flag, cwd=tmp_path)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"forescale simulate: error: argument --startup: {message}"
    backtest = forescale("backtest", str(gappy), "--horizon", flag, cwd=tmp_path)
    assert backtest.returncode == 2
    last = backtest.stderr.strip().splitlines()[-1]
    assert last == f"forescale backtest: error: argument --horizon: {message}"


def test_out_into_a_missing_directory_is_refused_before_the_replay(
    gappy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "missing" / "decisions.csv"
    done = forescale("simulate", str(gappy), *QUICK, "--startup", "5m", "--out", str(out),
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == (
        f"forescale simulate: error: --out {out}: directory {out.parent} does not exist\n"
    )  # one line, before any progress: nothing was replayed


def test_a_tiny_trace_is_refused(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T00:01:00Z,2\n"
                    "2024-01-01T00:02:00Z,3\n")  # fmt: skip
    for command in (("simulate", str(tiny), *QUICK, "--startup", "5m"), ("backtest", str(tiny))):
        done = forescale(*command, cwd=tmp_path)
        assert done.returncode == 1
        assert re.fullmatch(
            rf"forescale {command[0]}: error: .*tiny.csv: only 3 measured value\(s\); give at "
            r"least 60 .*\n", done.stderr,
        ), done.stderr  # fmt: skip


def test_backtest_takes_the_bundled_example_by_name_and_explains_its_columns(
    tmp_path: Path,
) -> None:
    done = forescale(
        "backtest", "example:nasa", "--step", "1h", "--horizon", "3h", "--test", "2d",
        "--models", "seasonal_naive", "--origins", "5", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "bundled NASA KSC trace" in done.stderr
    assert "under p90: in 9 cases of 10 the mean forecast was at most this far below" in (
        done.stdout
    )
    assert "cover90: share of loads inside the 5-95 % band (aim 0.90)" in done.stdout
