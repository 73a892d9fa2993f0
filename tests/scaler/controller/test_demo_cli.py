"""``forescale demo``: the README's first command, end to end through the console script."""

from __future__ import annotations

import re

import pytest

from forescale.service.main import main

FIGURES = re.compile(
    r"^\s+(?P<policy>forescale|hpa alone|oracle)\s+(?P<unserved>[\d.]+)\s+(?P<under>[\d.]+)\s+"
    r"(?P<hours>[\d.]+)\s+(?P<events>\d+)$"
)
DECISION = re.compile(
    r"^\d\d \w{3} \d\d:\d\d  demo/nasa-(web|batch)\s+(floor\s+\d+|released)( \(was \d+\))?, "
    r"HPA alone\s+\d+( \[(predictive|degraded|reactive)\])?: .+"
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


def test_the_demo_prints_each_decision_and_ends_with_forescale_ahead_of_the_hpa_alone(
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
        assert figures["forescale"] < figures["hpa alone"]
        assert figures["oracle"] == 0.0
    assert "Forescale left" in output and "(replayed 5 h)" in output
