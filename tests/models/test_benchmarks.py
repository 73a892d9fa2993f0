"""The forecasting benchmarks run (quick mode) and write only their own RESULTS.md section."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import forecast_latency
from benchmarks._common import RESULTS, time_calls, write_section
from forescale.models.registry import FORECASTERS


def test_quick_latency_benchmark_reports_every_model_beside_the_holt_winters_baseline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = RESULTS.read_text() if RESULTS.exists() else None
    assert forecast_latency.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "statsmodels Holt-Winters (baseline)" in out
    for name in FORECASTERS:
        row = next(line for line in out.splitlines() if line.startswith(f"| `{name}`"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert float(cells[3]) > 0  # fit / HW fit ratio
        assert float(cells[8]) > 0  # forecast_origins per origin
    assert (RESULTS.read_text() if RESULTS.exists() else None) == before  # quick never writes


def test_sections_are_replaced_in_place_and_others_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    write_section("alpha", "first", path=path)
    write_section("beta", "other", path=path)
    write_section("alpha", "second", path=path)
    text = path.read_text()
    assert text.startswith("# Benchmark results")
    assert "second" in text and "first" not in text and "other" in text
    assert text.index("section:alpha") < text.index("section:beta")
    with pytest.raises(ValueError, match="invalid section"):
        write_section("a b", "x", path=path)


def test_timings_report_median_and_p99() -> None:
    timing = time_calls(lambda: sum(range(100)), runs=50)
    assert timing.runs == 50 and 0 < timing.median <= timing.p99
