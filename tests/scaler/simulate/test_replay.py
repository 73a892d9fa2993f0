"""Trace replay: deterministic, never peeks at the future, and the policy earns its keep."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forescale.models.datasets import synthetic_traffic
from forescale.scaler.cli import main
from forescale.scaler.simulate.replay import ReplayConfig, replay

CONFIG = ReplayConfig(capacity=12.0, startup=timedelta(minutes=10), model="auto")


@pytest.fixture(scope="module")
def trace() -> pd.Series:
    # 5 days at 5 minutes: enough for the models to fit (cold start included), fast to replay.
    y = synthetic_traffic(days=5, freq="5min", seed=11, spikes=2, outages=1)
    y.iloc[700:712] = np.nan  # a one-hour gap: no data, not scored
    return y


@pytest.fixture(scope="module")
def full(trace: pd.Series):  # type: ignore[no-untyped-def]
    return replay(trace, CONFIG)


def test_a_trace_cut_anywhere_gives_the_same_decisions_up_to_the_cut(
    trace: pd.Series, full
) -> None:  # type: ignore[no-untyped-def]
    for cut in (300, 713, 1100):
        part = replay(trace.iloc[:cut], CONFIG, policies=("predictive", "reactive"))
        for policy in ("predictive", "reactive"):
            assert np.array_equal(part.requested[policy], full.requested[policy][:cut]), (
                policy,
                cut,
            )


def test_the_same_input_gives_the_same_output(trace: pd.Series, full) -> None:  # type: ignore[no-untyped-def]
    again = replay(trace, CONFIG)
    for policy in full.requested:
        assert np.array_equal(again.requested[policy], full.requested[policy])
    assert again.figures == full.figures


def test_gaps_are_seen_as_missing_data_and_not_scored(trace: pd.Series, full) -> None:  # type: ignore[no-untyped-def]
    assert np.isnan(full.load[700:712]).all()
    decisions = full.decisions()
    assert decisions["load"].iloc[700:712].isna().all()
    # the HPA gets no metric in a gap and holds its count
    reactive = full.requested["reactive"]
    assert (reactive[700:712] == reactive[699]).all()


def test_the_predictive_policy_starts_reactive_and_becomes_predictive(full) -> None:  # type: ignore[no-untyped-def]
    modes = list(full.modes)
    assert modes[0] == "reactive"  # cold start: no history yet
    assert "predictive" in modes[300:]
    assert full.figures["oracle"].unserved_load_pct == 0.0


def test_the_predictive_policy_serves_more_than_the_hpa_alone(full) -> None:  # type: ignore[no-untyped-def]
    pred, react = full.figures["predictive"], full.figures["reactive"]
    assert pred.unserved_load_pct < react.unserved_load_pct
    assert pred.replica_hours >= full.figures["oracle"].replica_hours


def test_cli_writes_exact_columns_and_json_figures(
    tmp_path: Path, trace: pd.Series, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "t.csv"
    trace.iloc[:600].rename("value").to_frame().rename_axis("timestamp").to_csv(csv)
    out = tmp_path / "d.csv"
    code = main(
        ["simulate", str(csv), "--capacity", "12", "--startup", "10m", "--json", "--out", str(out)]
    )
    assert code == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == {"predictive", "reactive", "oracle", "tuning"}
    # 600 five-minute steps hold too few forecasts to tune on (two days are needed).
    assert figures["tuning"] == {
        "tunings": 0,
        "reactive_only": 0,
        "last_setting": None,
        "last_reason": None,
    }
    assert set(figures["reactive"]) == {
        "under_provisioned_pct",
        "unserved_load_pct",
        "replica_hours",
        "scale_events",
    }
    head = out.read_text().splitlines()
    assert head[0] == "timestamp,load,predictive,reactive,floor"
    assert len(head) == 601


def test_cli_refuses_bad_input_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n2026-01-01T00:00:00Z,1\nnot-a-time,2\n")
    assert main(["simulate", str(bad), "--capacity", "5", "--startup", "5m"]) == 1
    err = capsys.readouterr().err
    assert "error" in err and "line 3" in err and "Traceback" not in err
    assert (
        main(["simulate", str(tmp_path / "missing.csv"), "--capacity", "5", "--startup", "5m"]) == 1
    )
    assert "not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", str(bad), "--capacity", "-5", "--startup", "5m"])


def test_fitting_in_a_worker_process_changes_no_decision(trace: pd.Series, full) -> None:  # type: ignore[no-untyped-def]
    serial = replay(trace, replace(CONFIG, parallel=False))
    for policy in full.requested:
        assert np.array_equal(serial.requested[policy], full.requested[policy]), policy
