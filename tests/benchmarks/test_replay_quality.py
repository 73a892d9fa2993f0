"""The replay benchmark's trace selection and its summary lines."""

from __future__ import annotations

from pathlib import Path

from benchmarks._replay_plots import FrontierPanel
from benchmarks.replay_quality import Row, _summary, select_traces

CSV = "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:05:00Z,2\n2026-01-01T00:10:00Z,3\n"


def test_traces_are_chosen_by_name_substring_and_synthetic_ones_can_be_left_out(
    tmp_path: Path,
) -> None:
    for name in ("alpha_5min.csv", "beta_hourly.csv"):
        (tmp_path / name).write_text(CSV)
    chosen = select_traces(tmp_path, names=["BETA"], synthetic=False, quick=False)
    assert list(chosen) == ["beta_hourly.csv"] and chosen["beta_hourly.csv"][0] is True
    chosen = select_traces(tmp_path, names=["alpha", "8 flash"], synthetic=True, quick=False)
    assert list(chosen) == ["alpha_5min.csv", "synthetic: 8 flash crowds, 5 min"]
    assert chosen["synthetic: 8 flash crowds, 5 min"][0] is False
    assert len(select_traces(tmp_path, names=[], synthetic=False, quick=False)) == 2


def _row(name: str, cost: float | None, service: float) -> Row:
    panel = FrontierPanel(title=name, sweep=(), forescale=(1.0, 0.0), hpa_at_08=(1.0, 0.0))
    return Row(
        trace=name, real=True, steps=1, step="5m", equal_cost=cost, cost_inside=True,
        equal_service=service, service_inside=True, hpa_cost=1.0, hpa_unserved=0.0,
        forescale_cost=1.0, forescale_unserved=0.0, oracle_cost=1.0, seconds=0.0, panel=panel,
    )  # fmt: skip


def test_the_summary_gives_median_and_worst_skips_na_and_names_traces_above_the_bounds() -> None:
    rows = [_row("a", 0.2, 0.9), _row("b", None, 1.01), _row("c", 1.2, 1.05)]
    line = _summary(rows, "real traces")
    # equal-cost over a, c (b is na): median (0.2 + 1.2) / 2 = 0.70, worst 1.20;
    # equal-service over all three: median 1.01, worst 1.05; only c is above 1.02.
    assert line == (
        "- real traces (3): default (`--hpa-target fixed`) equal-cost unserved ratio median "
        "**0.70**, worst **1.20** (1 na); "
        "equal-service cost ratio median **1.01**, worst **1.05**. Above the do-no-harm bounds: "
        "equal-cost > 1 on c; equal-service > 1.02 on c."
    )
