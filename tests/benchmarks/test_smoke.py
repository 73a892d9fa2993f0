"""The benchmark suite's one entry point: every quick mode runs, nothing is written."""

from __future__ import annotations

import re

import pytest

from benchmarks import run
from benchmarks._common import RESULTS
from tests.conftest import require
from tests.integration.prometheus.process import binaries


def table_rows(out: str, title: str) -> list[list[str]]:
    """The data rows of the markdown table under the heading ``title``."""
    section = out.split(title, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def number(cell: str) -> float:
    return float(re.sub(r"[^0-9.]", "", cell))


def test_the_quick_suite_runs_every_benchmark_and_leaves_the_results_untouched(
    capsys: pytest.CaptureFixture[str],
) -> None:
    require("prometheus + promtool", binaries() is not None, "apt-get install prometheus")
    before = RESULTS.read_bytes()

    assert run.main(["--quick"]) == 0

    out = capsys.readouterr().out
    statuses = {row[0].strip("`"): row[2] for row in table_rows(out, "## The suite")}
    assert statuses == {b.name: "ok" for b in run.SUITE}
    cycle = table_rows(out, "## Control cycle")
    assert [row[0] for row in cycle] == ["10", "30"]
    assert all(number(row[2]) > 0 and number(row[6]) > 0 for row in cycle)  # p50, ratio
    throughput = table_rows(out, "## Forecast throughput")
    assert all(number(row[1]) > number(row[4]) for row in throughput)  # cheap update > refit
    memory = table_rows(out, "## Memory per target")
    assert memory and number(memory[0][4]) > number(memory[0][5])  # more than the bare data
    assert RESULTS.read_bytes() == before


def test_a_missing_benchmark_is_skipped_with_the_reason_and_a_broken_one_fails() -> None:
    missing = run.Benchmark("not_written_yet", "nothing")
    assert run._skip_reason(missing) == "skipped: benchmarks/not_written_yet.py not present"
    broken = run.run_in_process(missing, quick=True)
    assert broken.status.startswith("failed: ModuleNotFoundError")


def test_unknown_benchmark_names_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run.main(["--quick", "--only", "control_cycle,warp_drive"])
    assert "unknown benchmark(s) ['warp_drive']" in capsys.readouterr().err
