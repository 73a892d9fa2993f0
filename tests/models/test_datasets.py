"""Traces load with gaps visible; malformed files are refused naming the line; synthetic data is
seeded and looks like traffic."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forescale.models.datasets import load_example, load_trace, synthetic_traffic
from forescale.models.errors import DataFileError

GOOD = "timestamp,value\n2024-05-01T00:00:00Z,10\n2024-05-01T00:01:00Z,12\n2024-05-01T00:04:00Z,9\n"


def write(tmp_path: Path, text: str, name: str = "trace.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_trace_loads_as_a_utc_series_with_missing_steps_as_nan(tmp_path: Path) -> None:
    y = load_trace(write(tmp_path, GOOD))
    assert str(y.index.tz) == "UTC" and y.index.freq == pd.Timedelta("1min")
    assert y.tolist()[:2] == [10.0, 12.0] and y.isna().sum() == 2 and len(y) == 5


def test_gzip_epoch_seconds_offsets_and_empty_values_are_understood(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv.gz"
    path.write_bytes(gzip.compress(b"timestamp,value\n1714521600,1\n1714521660,\n1714521720,3\n"))
    y = load_trace(path)
    assert y.index[0] == pd.Timestamp("2024-05-01T00:00Z") and np.isnan(y.iloc[1])
    shifted = load_trace(io.BytesIO(b"timestamp,value\n2024-05-01T02:00:00+02:00,5\n"))
    assert shifted.index[0] == pd.Timestamp("2024-05-01T00:00Z")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,load\n2024-05-01T00:00:00Z,1\n", "line 1 must be the header 'timestamp,value'"),
        ("timestamp,value\n", "no data lines"),
        ("timestamp,value\n2024-05-01T00:00:00Z,1\nyesterday,2\n", "line 3: cannot read timestamp"),
        (
            "timestamp,value\n2024-05-01T00:00:00Z,1\n2024-05-01T00:01:00Z,lots\n",
            "line 3: value 'lots' is not a number",
        ),
        ("timestamp,value\n2024-05-01T00:00:00Z,-4\n", "line 2: value -4 is not a load"),
        ("timestamp,value\n2024-05-01T00:00:00Z,inf\n", "line 2: value inf is not a load"),
        (
            "timestamp,value\n2024-05-01T00:00:00Z,1\n2024-05-01T00:01:00Z,2\n"
            "2024-05-01T00:01:00Z,3\n",
            "line 4 repeats the timestamp",
        ),
        (
            "timestamp,value\n2024-05-01T00:05:00Z,1\n2024-05-01T00:01:00Z,2\n",
            "line 3: timestamp 2024-05-01T00:01:00+00:00 is earlier",
        ),
        ("timestamp,value\n2024-05-01T00:00:00Z,1,7\n", "line 2 has 3 field(s)"),
    ],
    ids=[
        "header",
        "empty",
        "timestamp",
        "non-numeric",
        "negative",
        "inf",
        "duplicate",
        "unsorted",
        "extra-field",
    ],
)
def test_malformed_files_are_refused_naming_the_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(DataFileError, match="trace.csv") as info:
        load_trace(write(tmp_path, text))
    assert message in str(info.value)


def test_binary_garbage_is_refused_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(DataFileError, match="gzip"):
        load_trace(path)


def test_the_bundled_nasa_example_is_21_days_per_minute_without_gaps() -> None:
    y = load_example("nasa")
    assert len(y) == 21 * 1440 and not y.isna().any()
    assert y.index[0] == pd.Timestamp("1995-07-01T04:00Z")
    assert 30 < y.median() < 45  # ~37 requests per minute
    with pytest.raises(DataFileError, match="available: nasa"):
        load_example("taxi")


def test_synthetic_traffic_is_determined_by_its_seed() -> None:
    a = synthetic_traffic(days=3, seed=4)
    pd.testing.assert_series_equal(a, synthetic_traffic(days=3, seed=4))
    assert not a.equals(synthetic_traffic(days=3, seed=5))
    assert (a >= 0).all() and a.index.freq == pd.Timedelta("5min") and len(a) == 3 * 288


def test_synthetic_traffic_has_a_daily_cycle_and_quieter_weekends() -> None:
    y = synthetic_traffic(days=28, freq="1h", seed=0, spikes=0, level_shifts=0, outages=0)
    by_hour = y.groupby(y.index.hour).mean()
    assert by_hour.max() > 2 * by_hour.min()
    weekend = y[y.index.day_of_week >= 5].mean()
    assert weekend < 0.8 * y[y.index.day_of_week < 5].mean()


def test_synthetic_outages_and_flash_crowds_are_visible() -> None:
    quiet = synthetic_traffic(days=7, seed=2, spikes=0, outages=0, noise=False)
    busy = synthetic_traffic(days=7, seed=2, spikes=3, outages=1, noise=False)
    ratio = busy / quiet
    assert ratio.max() > 1.4  # a flash crowd
    assert ratio.min() < 0.05  # an outage
