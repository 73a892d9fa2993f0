"""Traffic data for tests, notebooks and demos: seeded synthetic traces and a CSV loader.

`synthetic_traffic` builds request counts the way real web traffic looks (diurnal double peak,
weekend dip, slow growth, flash crowds, level shifts after a deploy or a lost customer, outages,
Poisson noise) and is fully determined by its seed, so a test can assert on it.

`load_trace` reads ``timestamp,value`` CSV (optionally gzipped), refuses malformed files with a
`DataFileError` naming the line, and returns a tz-aware UTC series. Gaps stay visible: when the
timestamps sit on a regular grid, missing steps come back as NaN on the full grid (so a long
outage is never silently bridged); a file that is not on one grid is returned as read, to be
resampled by the caller (``forescale backtest --step``). Timestamps are ISO 8601 (an offset or
``Z``; none means UTC) or Unix epoch seconds; empty values and ``NaN`` mean "not measured".
"""

from __future__ import annotations

import gzip
import io
from importlib import resources
from pathlib import Path
from typing import IO, cast

import numpy as np
import pandas as pd

from forescale.models.errors import DataFileError

__all__ = ["EXAMPLES", "load_example", "load_trace", "synthetic_traffic"]

EXAMPLES = {"nasa": "nasa_kennedy_http_1995-07_per_minute.csv.gz"}
"""Traces bundled with the package (see models/data/README.md)."""

_DAY = pd.Timedelta("1D")


def synthetic_traffic(
    *,
    days: float = 21,
    freq: str = "5min",
    seed: int = 0,
    start: str = "2024-01-01T00:00:00Z",
    base: float = 100.0,
    daily_amplitude: float = 0.6,
    weekend_dip: float = 0.35,
    growth_per_week: float = 0.02,
    spikes: int = 3,
    level_shifts: int = 1,
    outages: int = 1,
    noise: bool = True,
) -> pd.Series:
    """Requests per step: ``base`` on average, shaped like web traffic; same seed, same series.

    ``spikes`` flash crowds rise within ~10 minutes to 1.5-4x and decay over ~1 hour;
    ``level_shifts`` multiply everything after a random time in the second half by 0.7-1.4;
    ``outages`` drop traffic to ~2% for 10-60 minutes. ``noise`` draws Poisson counts.
    """
    rng = np.random.default_rng(seed)
    index = pd.date_range(
        pd.Timestamp(start), periods=int(days * _DAY / pd.Timedelta(freq)), freq=freq, unit="ns"
    )
    t = (index - index[0]) / _DAY  # days since start
    hour = np.asarray((index.hour + index.minute / 60) / 24)
    phase = rng.uniform(-0.03, 0.03)
    diurnal = (
        np.sin(2 * np.pi * (hour - 0.375 + phase))
        + 0.35 * np.sin(4 * np.pi * (hour - 0.2 + phase))
        + 0.1 * np.sin(6 * np.pi * hour)
    )
    rate = base * (1 + daily_amplitude * diurnal / 1.3)
    rate *= 1 - weekend_dip * _weekend(np.asarray(index.day_of_week + hour))
    rate *= 1 + growth_per_week * np.asarray(t) / 7
    _add_events(
        rate,
        rng,
        steps_per_hour=pd.Timedelta("1h") / pd.Timedelta(freq),
        counts=(spikes, level_shifts, outages),
    )
    rate = np.maximum(rate, 0.0)
    values = rng.poisson(rate).astype(float) if noise else rate
    return pd.Series(values, index=index, name="requests")


def _add_events(
    rate: np.ndarray, rng: np.random.Generator, *, steps_per_hour: float, counts: tuple[int, ...]
) -> None:
    """Flash crowds, level shifts and outages, in place (see `synthetic_traffic`)."""
    spikes, level_shifts, outages = counts
    n = len(rate)
    for _ in range(spikes):
        at, height = rng.integers(n), rng.uniform(1.5, 4.0)
        k = np.arange(n - at) / steps_per_hour  # hours since the spike began
        shape = np.minimum(k / (1 / 6), 1.0) * np.exp(-np.maximum(k - 1 / 6, 0) / 0.5)
        rate[at:] *= 1 + (height - 1) * shape
    for _ in range(level_shifts):
        rate[rng.integers(n // 2, n) :] *= rng.uniform(0.7, 1.4)
    for _ in range(outages):
        at = rng.integers(n)
        length = max(1, int(rng.uniform(10, 60) / 60 * steps_per_hour))
        rate[at : at + length] *= 0.02


def _weekend(day_of_week: np.ndarray) -> np.ndarray:
    """~1 from Saturday 00:00 to Monday 00:00, ~0 on weekdays, with ramps of a few hours.

    ``day_of_week`` is fractional, Monday 00:00 = 0; the second term wraps Sunday into Monday.
    """
    width = 1 / 24

    def sig(x: np.ndarray) -> np.ndarray:
        return np.asarray(1 / (1 + np.exp(-np.clip(x / width, -50, 50))))

    d = day_of_week
    return np.asarray(sig(d - 5) * sig(7 - d) + sig(d + 2) * sig(-d), dtype=float)


def load_example(name: str = "nasa") -> pd.Series:
    """A trace bundled with the package, e.g. ``"nasa"`` (21 days of NASA KSC requests/min)."""
    try:
        filename = EXAMPLES[name]
    except KeyError:
        raise DataFileError(
            f"no bundled example {name!r}; available: {', '.join(sorted(EXAMPLES))}"
        ) from None
    data = (resources.files("forescale.models") / "data" / filename).read_bytes()
    return load_trace(io.BytesIO(data), name=filename)


def load_trace(source: str | Path | IO[bytes], *, name: str | None = None) -> pd.Series:
    """Read a ``timestamp,value`` CSV (or .csv.gz); see the module docstring for the rules."""
    label = name or (str(source) if isinstance(source, str | Path) else "trace")
    raw = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataFileError(f"{label}: not a readable gzip file ({exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{label}: not UTF-8 text ({exc}); is it a CSV file?") from exc
    table = _read_table(text, label=label)
    stamps = _parse_timestamps(table["timestamp"], label=label)
    values = _parse_values(table["value"], label=label)
    _check_order(stamps, label=label)
    series = pd.Series(values, index=pd.DatetimeIndex(stamps).as_unit("ns"), name="value")
    return _on_grid(series)


def _read_table(text: str, *, label: str) -> pd.DataFrame:
    header = text.split("\n", 1)[0].strip().lower().replace(" ", "")
    if header != "timestamp,value":
        raise DataFileError(
            f"{label}: line 1 must be the header 'timestamp,value', got {header[:60]!r}"
        )
    fields = pd.Series(text.splitlines()[1:], dtype=object).str.count(",").to_numpy()
    bad = np.flatnonzero(fields != 1)
    if bad.size:
        raise DataFileError(
            f"{label}: line {int(bad[0]) + 2} has {int(fields[bad[0]]) + 1} field(s); each line "
            "needs exactly 'timestamp,value'"
        )
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, index_col=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFileError(f"{label}: {exc}; each line needs exactly 'timestamp,value'") from exc
    table.columns = ["timestamp", "value"]
    if table.empty:
        raise DataFileError(f"{label}: no data lines after the header")
    return table


def _parse_timestamps(column: pd.Series, *, label: str) -> pd.DatetimeIndex:
    text = column.fillna("").astype(str).str.strip()
    if text.str.fullmatch(r"\d+(\.\d+)?").all():
        parsed = pd.to_datetime(pd.to_numeric(text), unit="s", utc=True)
    else:
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    bad = np.flatnonzero(pd.isna(parsed))
    if bad.size:
        line = int(bad[0]) + 2
        raise DataFileError(
            f"{label}: line {line}: cannot read timestamp {text.iloc[bad[0]]!r}; use ISO 8601 "
            "(e.g. 2024-05-01T12:00:00Z) or Unix epoch seconds"
        )
    return pd.DatetimeIndex(parsed)


def _parse_values(column: pd.Series, *, label: str) -> np.ndarray:
    text = column.fillna("").astype(str).str.strip()
    missing = text.isin(["", "nan", "NaN", "NAN"])
    values = pd.to_numeric(text.where(~missing, "nan"), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(values) & ~missing.to_numpy())
    if bad.size:
        line = int(bad[0]) + 2
        raise DataFileError(f"{label}: line {line}: value {text.iloc[bad[0]]!r} is not a number")
    bad = np.flatnonzero(np.isinf(values) | (values < 0))
    if bad.size:
        line = int(bad[0]) + 2
        raise DataFileError(
            f"{label}: line {line}: value {text.iloc[bad[0]]} is not a load (must be finite "
            "and >= 0)"
        )
    return values


def _check_order(stamps: pd.DatetimeIndex, *, label: str) -> None:
    ns = stamps.as_unit("ns").asi8
    diffs = np.diff(ns)
    dup = np.flatnonzero(diffs == 0)
    back = np.flatnonzero(diffs < 0)
    if back.size and (not dup.size or back[0] < dup[0]):
        line = int(back[0]) + 3
        raise DataFileError(
            f"{label}: line {line}: timestamp {stamps[back[0] + 1].isoformat()} is earlier than "
            f"the line before; sort the file by timestamp"
        )
    if dup.size:
        line = int(dup[0]) + 3
        raise DataFileError(
            f"{label}: line {line} repeats the timestamp {stamps[dup[0]].isoformat()} of line "
            f"{line - 1}; keep one row per timestamp (sum or average duplicates)"
        )


def _on_grid(series: pd.Series) -> pd.Series:
    """Reindex onto the regular grid (gaps as NaN) when every timestamp lies on it."""
    idx = cast(pd.DatetimeIndex, series.index)
    if len(idx) < 2:
        return series
    ns = idx.asi8
    step = int(np.diff(ns).min())
    span = (ns[-1] - ns[0]) // step + 1 if step > 0 else 0
    if step <= 0 or ((ns - ns[0]) % step != 0).any() or span > 10 * len(ns):
        return series  # not one grid (or mostly empty): the caller resamples
    full = pd.date_range(idx[0], idx[-1], freq=pd.Timedelta(step, unit="ns"), unit="ns")
    return series if len(full) == len(idx) else series.reindex(full)
