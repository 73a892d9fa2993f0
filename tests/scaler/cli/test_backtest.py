"""``forescale backtest``: a table or JSON lines per model, progress on stderr, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forescale.models.datasets import synthetic_traffic
from forescale.scaler.cli import main
from forescale.scaler.cli.backtest import JSON_KEYS


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    y = synthetic_traffic(days=6, freq="1min", seed=5)
    y = y.drop(y.index[3000:3100])  # a 100-minute outage stays a gap in the file
    path = tmp_path_factory.mktemp("traces") / "web.csv"
    text = "timestamp,value\n" + "".join(
        f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{int(v)}\n" for t, v in y.items()
    )
    path.write_text(text)
    return path


def test_json_output_is_one_object_per_model_with_exactly_the_documented_keys(
    trace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "backtest",
            str(trace),
            "--step",
            "5m",
            "--horizon",
            "30m",
            "--test",
            "2d",
            "--models",
            "seasonal_naive,ridge,level",
            "--origins",
            "40",
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["model"] for r in rows] == ["seasonal_naive", "ridge", "level"]
    for row in rows:
        assert tuple(row) == JSON_KEYS
        assert 0 <= row["coverage_90"] <= 1 and row["mase"] > 0 and row["fit_ms"] > 0
    assert "ridge" in err and "refits" in err  # progress went to stderr


def test_the_table_names_each_model_and_who_answered(
    trace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "backtest",
            str(trace),
            "--step",
            "5m",
            "--test",
            "2d",
            "--models",
            "auto,fft",
            "--origins",
            "30",
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    header, rule, *rows = out.splitlines()
    assert header.split()[:3] == ["model", "MASE", "sMAPE"]
    assert rows[0].startswith("auto") and rows[1].startswith("fft")


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["--models", "prophet"], "unknown model 'prophet'; choose one of", 1),
        (["--horizon", "7m", "--step", "5m"], "--horizon 7m must be a whole number of steps", 1),
        # A flag's own value is a usage error (status 2), with the flag named.
        (["--horizon", "soon"], "argument --horizon: invalid duration 'soon'", 2),
        (["--origins", "0", "--step", "5m"], "argument --origins: must be at least 1", 2),
    ],
)
def test_user_mistakes_print_one_line_and_exit_non_zero(
    trace: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str, status: int
) -> None:
    try:
        code = main(["backtest", str(trace), *args])
    except SystemExit as exit_:
        code = int(str(exit_.code))
    _, err = capsys.readouterr()
    assert code == status
    last = err.strip().splitlines()[-1]
    assert last.startswith("forescale backtest: error:") and message in last


def test_a_missing_or_malformed_file_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", str(tmp_path / "nope.csv")]) == 1
    assert "nope.csv not found" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n2024-01-01T00:00:00Z,abc\n")
    assert main(["backtest", str(bad)]) == 1
    assert "line 2: value 'abc' is not a number" in capsys.readouterr().err


def test_an_irregular_trace_asks_for_a_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "irregular.csv"
    rows = [f"2024-01-01T{m // 60:02d}:{m % 60:02d}:00Z,{m}" for m in range(90)]
    path.write_text("timestamp,value\n" + "\n".join([*rows, "2024-01-01T01:30:40Z,2"]) + "\n")
    assert main(["backtest", str(path)]) == 1
    assert "pass --step" in capsys.readouterr().err


def test_without_a_trace_it_backtests_the_bundled_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "backtest",
            "--step",
            "15m",
            "--test",
            "1d",
            "--models",
            "level",
            "--origins",
            "20",
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["model"] == "level"
    assert "bundled NASA" in err
