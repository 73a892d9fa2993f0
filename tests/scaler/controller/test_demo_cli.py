"""``forescale demo``: the README's first command, end to end through the console script."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from forescale.scaler.cli.demo import decision_line
from forescale.scaler.records import DecisionRecord
from forescale.service.main import main
from tests.conftest import REPO

FIGURES = re.compile(
    r"^\s+(?P<policy>predictive|reactive|oracle)\s+(?P<under>[\d.]+)\s+(?P<unserved>[\d.]+)\s+"
    r"(?P<hours>[\d.,]+)\s+(?P<events>[\d,]+)$"
)
DECISION = re.compile(
    r"^\d\d \w{3} \d\d:\d\d  demo/nasa-(web|batch)\s+(floor\s+\d+|released)( \(was \d+\))?, "
    r"reactive\s+\d+( \[(predictive|degraded|reactive)\])?: .+"
)


def summary(output: str) -> dict[str, dict[str, float]]:
    """Per target: policy -> unserved load %, from the printed summary table."""
    tables: dict[str, dict[str, float]] = {}
    current = ""
    for line in output.splitlines():
        if line.startswith("  demo/"):
            current = line.strip()
            tables[current] = {}
        elif (match := FIGURES.match(line)) is not None:
            tables[current][match["policy"]] = float(match["unserved"])
    return tables


def test_the_demo_prints_each_decision_and_ends_with_predictive_ahead_of_reactive(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["demo", "--days", "0.2", "--speed", "0", "--no-api"])

    output = capsys.readouterr().out
    assert code == 0
    assert output.startswith("Forescale demo: 2 targets, NASA KSC web traffic 12 Jul 1995 04:00")
    decisions = [line for line in output.splitlines() if DECISION.match(line)]
    assert any(re.search(r"demo/nasa-web\s+floor", line) for line in decisions)
    assert any(re.search(r"demo/nasa-batch\s+floor", line) for line in decisions)
    assert any("because the p90 forecast" in line for line in decisions)  # the reason, too
    tables = summary(output)
    assert set(tables) == {"demo/nasa-web", "demo/nasa-batch"}
    for figures in tables.values():
        assert figures["predictive"] < figures["reactive"]
        assert figures["oracle"] == 0.0
    assert "Forescale left" in output and "(replayed 5 h)" in output
    sample = next(
        line for line in decisions
        if "demo/nasa-web" in line and "(was " in line and "the p90 forecast" in line
    )  # fmt: skip
    assert f"\n{sample}\n" in (REPO / "README.md").read_text(), (
        f"README.md's sample demo line is out of date; the demo prints it now as:\n{sample}"
    )


def _record(floor: int | None, mode: str) -> DecisionRecord:
    return DecisionRecord(
        target="demo/nasa-web", at=datetime(1995, 7, 13, 3, 46, tzinfo=UTC), load=100.0,
        mode=mode, mode_reason="", floor=floor, desired=floor or 16, reactive=16, predictive=floor,
        scheduled=None, current_replicas=16, model="auto", quantile=0.9, forecast_peak=None,
        window_start=None, window_end=None, steps=(), action="noop", dry_run=False,
    )  # fmt: skip


def test_a_decision_line_says_was_only_when_the_floor_changed() -> None:
    """Issue 16 item 5: a mode change printed ``floor 5 (was 5)``."""
    mode_only = decision_line(
        "demo/nasa-web", _record(5, "degraded"), before=(5, "predictive"), why="w"
    )
    assert mode_only == "13 Jul 03:46  demo/nasa-web    floor   5, reactive  16 [degraded]: w"
    moved = decision_line("demo/nasa-web", _record(6, "degraded"), before=(5, "degraded"), why="w")
    assert moved == "13 Jul 03:46  demo/nasa-web    floor   6 (was 5), reactive  16: w"
    released = decision_line(
        "demo/nasa-web", _record(None, "reactive"), before=(5, "degraded"), why="w"
    )
    assert released == "13 Jul 03:46  demo/nasa-web    released (was 5), reactive  16 [reactive]: w"
