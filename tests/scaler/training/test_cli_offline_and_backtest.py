"""``forescale train --trace`` for offline work, and ``forescale backtest --prometheus`` against
the real Prometheus test server (it reads the same series the CSV form would)."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from pathlib import Path

import pandas as pd
import pytest

from forescale.scaler.cli import backtest, main
from forescale.scaler.cli.backtest import JSON_KEYS
from forescale.scaler.modelstore import DirectoryModelStore
from tests.integration.prometheus.server import NASA_QUERY, SeededPrometheus


def csv(path: Path, y: pd.Series) -> Path:
    frame = pd.DataFrame({"timestamp": y.index.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": y})
    frame.to_csv(path, index=False)
    return path


def test_train_on_csv_traces_writes_to_the_store_and_a_bad_file_fails_alone(
    nasa_5m: pd.Series, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = csv(tmp_path / "web.csv", nasa_5m)
    broken = tmp_path / "broken.csv"
    broken.write_text("timestamp,value\n2026-01-01T00:00:00Z,12\nyesterday,3\n")
    store = str(tmp_path / "m")
    code = main(["train", "--trace", f"web={good}", "--trace", f"api={broken}", "--store", store,
                 "--models", "level", "--test", "1d", "--origins", "20"])  # fmt: skip

    out, err = capsys.readouterr()
    assert code == 1
    assert "api: FAILED: " in out and "line 3: cannot read timestamp 'yesterday'" in out
    assert DirectoryModelStore(tmp_path / "m").promoted("web") is not None
    assert "2 target(s): 1 trained (1 promoted), 1 failed" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trace", "web.csv"], "use NAME=PATH"),
        (["--trace", "a=b.csv", "--models", "prophet"], "unknown model 'prophet'"),
    ],
)
def test_usage_mistakes_get_one_clear_line(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--store", str(tmp_path), *args]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.prometheus
def test_backtest_from_prometheus_scores_like_the_csv_form_of_the_same_series(
    prometheus: SeededPrometheus,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The CLI reads "the last 5d" up to the wall clock. The session's Prometheus was backfilled
    # up to `prometheus.end` when the session began: read later (a full run), the window would
    # start later than the CSV's and end past the data (on a later 5-minute mark, padded by
    # Prometheus' lookback), so the two forms would score different windows. Pin the CLI's
    # clock to the end of the data: both read exactly the same instants.
    class AtTheEndOfTheData(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> AtTheEndOfTheData:
            return cls.fromtimestamp(prometheus.end.timestamp(), tz)

    monkeypatch.setattr(backtest, "datetime", AtTheEndOfTheData)
    flags = ["--step", "5m", "--horizon", "30m", "--test", "1d", "--origins", "30",
             "--models", "seasonal_naive,level", "--json"]  # fmt: skip
    code = main(["backtest", "--prometheus", prometheus.url, "--query", NASA_QUERY,
                 "--range", "5d", *flags])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"{NASA_QUERY} from {prometheus.url} (last 5d at 5m)" in err
    from_prometheus = [json.loads(line) for line in out.splitlines()]

    # The backfilled minutes Prometheus answers at a 5-minute step (a gauge's sample at each
    # multiple of 5 minutes), written as the CSV a user would have exported.
    nasa = prometheus.nasa
    sampled = nasa[(nasa.index.minute % 5 == 0)]
    trace = csv(tmp_path / "nasa.csv", sampled.loc[sampled.index[-1] - pd.Timedelta(days=5) :])
    assert main(["backtest", str(trace), *flags]) == 0
    from_csv = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert [r["model"] for r in from_prometheus] == ["seasonal_naive", "level"]
    assert all(tuple(r) == JSON_KEYS for r in from_prometheus)
    for ours, theirs in zip(from_prometheus, from_csv, strict=True):
        assert ours["mase"] == pytest.approx(theirs["mase"], rel=1e-6)  # the same instants
        assert ours["coverage_90"] == pytest.approx(theirs["coverage_90"], abs=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--query", "up"], "give both --prometheus URL and --query"),
        (["--prometheus", "http://127.0.0.1:9"], "give both --prometheus URL and --query"),
        (["trace.csv", "--prometheus", "http://127.0.0.1:9", "--query", "up"], "not both"),
    ],
)
def test_backtest_prometheus_flags_are_checked(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", *args]) == 1
    assert message in capsys.readouterr().err


def test_backtest_from_an_unreachable_prometheus_is_one_clear_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["backtest", "--prometheus", "http://127.0.0.1:9", "--query", "up"])
    err = capsys.readouterr().err
    assert code == 1 and "forescale backtest: error:" in err and "Traceback" not in err
