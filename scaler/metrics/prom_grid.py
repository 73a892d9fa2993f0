"""The step grid of a range query, its split into requests, and results filled onto it.

Pure helpers of `PrometheusSource` (no HTTP, no client library), kept apart so the arithmetic
that decides "which sample lands where" is tested on its own.

- The grid is aligned to multiples of ``step`` since the Unix epoch, like `FrameSource` and like
  VictoriaMetrics/Thanos align queries: the same window always yields the same timestamps, so
  series from separate requests (chunks, stitched selectors) line up exactly.
- A window longer than the backend's per-request limit is split into disjoint runs of grid points.
  Chunks share no boundary, so merged results cannot contain a duplicated sample; and every sample
  is written at the position its own timestamp names, so a merge can neither shift nor invent one.
- Values are written into arrays allocated once for the whole window: memory stays at 8 bytes per
  point per series however many chunks are fetched, and each chunk's JSON is freed after use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from forescale.scaler.errors import AmbiguousResult, ConfigError, EmptyResult, QueryError

__all__ = [
    "MAX_WINDOW_POINTS",
    "BatchAccumulator",
    "Chunk",
    "Grid",
    "SeriesAccumulator",
    "check_label_name",
    "format_labels",
]

MAX_WINDOW_POINTS = 2_000_000
"""Refuse windows longer than this many steps (16 MB per series): almost surely a wrong step."""

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of grid points fetched in one request: positions ``offset .. offset + size - 1``."""

    offset: int
    size: int
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class Grid:
    """``size`` evaluation times ``start_ms + i * step_ms`` (Unix milliseconds, UTC)."""

    start_ms: int
    step_ms: int
    size: int

    @classmethod
    def covering(
        cls,
        *,
        start: datetime,
        end: datetime,
        step: timedelta,
        max_points: int = MAX_WINDOW_POINTS,
    ) -> Grid:
        """The step multiples inside ``[start, end]``; raises `ConfigError` saying what to fix."""
        for name, value in (("start", start), ("end", end)):
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise ConfigError(
                    f"{name} must be a tz-aware datetime, got {value!r}; "
                    "use e.g. datetime.now(UTC) or datetime(2026, 1, 1, tzinfo=UTC)"
                )
        step_ms = _step_ms(step)
        if end < start:
            raise ConfigError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
        step_us = step_ms * 1000
        first = -(-_epoch_us(start) // step_us) * step_ms  # ceil to the step grid
        last = _epoch_us(end) // step_us * step_ms
        if last < first:
            raise ConfigError(
                f"the window {start.isoformat()} .. {end.isoformat()} contains no multiple of "
                f"the step {step}; widen the window or shorten the step"
            )
        size = (last - first) // step_ms + 1
        if size > max_points:
            raise ConfigError(
                f"the window {start.isoformat()} .. {end.isoformat()} at step {step} has "
                f"{size:,} points, more than the {max_points:,} allowed; use a longer step "
                "or a shorter window"
            )
        return cls(start_ms=first, step_ms=step_ms, size=size)

    @property
    def end_ms(self) -> int:
        return self.start_ms + (self.size - 1) * self.step_ms

    def chunks(self, max_points: int) -> Iterator[Chunk]:
        """Disjoint runs of at most ``max_points`` grid points, in time order."""
        offset = 0
        while offset < self.size:
            chunk = self.chunk_at(offset, max_points)
            yield chunk
            offset += chunk.size

    def chunk_at(self, offset: int, max_points: int) -> Chunk:
        """The run of at most ``max_points`` points starting at position ``offset``."""
        if max_points < 1:
            raise ConfigError(f"max_points per request must be >= 1, got {max_points}")
        size = min(max_points, self.size - offset)
        start_ms = self.start_ms + offset * self.step_ms
        return Chunk(offset, size, start_ms, start_ms + (size - 1) * self.step_ms)

    def index(self) -> pd.DatetimeIndex:
        """The grid as a regular UTC index (the index of every series returned)."""
        return pd.date_range(
            pd.Timestamp(_EPOCH + self.start_ms * _MS),  # pandas' default resolution
            periods=self.size,
            freq=pd.Timedelta(milliseconds=self.step_ms),
        )

    def positions(self, values: Sequence[Sequence[Any]], chunk: Chunk) -> np.ndarray:
        """Grid positions of ``[[unix_seconds, "value"], ...]`` samples from ``chunk``'s reply.

        Raises `QueryError` when a timestamp is off the grid or outside the chunk: the backend
        did not answer the question asked, and guessing where the sample belongs would shift it.
        """
        seconds = np.fromiter((pair[0] for pair in values), dtype=np.float64, count=len(values))
        ms = np.rint(seconds * 1000.0).astype(np.int64)
        rel, rem = np.divmod(ms - chunk.start_ms, self.step_ms)
        if rem.any() or (rel < 0).any() or (rel >= chunk.size).any():
            raise QueryError(
                "the backend returned samples off the requested step grid or outside the asked "
                "range; is this a Prometheus-compatible query_range API?"
            )
        return rel + chunk.offset


def sample_values(values: Sequence[Sequence[Any]]) -> np.ndarray:
    """Sample values as float64; NaN, ``+Inf`` and ``-Inf`` become NaN (no load is infinite)."""
    out = np.fromiter((float(pair[1]) for pair in values), dtype=np.float64, count=len(values))
    out[~np.isfinite(out)] = np.nan
    return out


def check_label_name(label: str) -> str:
    if not isinstance(label, str) or not _LABEL_NAME.match(label):
        raise ConfigError(
            f"invalid label name {label!r}: use letters, digits and underscores, not starting "
            "with a digit (e.g. service)"
        )
    return label


def format_labels(metric: Mapping[str, str]) -> str:
    """``{a="1", b="2"}`` as Prometheus prints a series, for error messages."""
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(metric.items()))
    return "{" + inner + "}"


def _labels_key(metric: Mapping[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset(metric.items())


class SeriesAccumulator:
    """Merges chunk replies of a query that must yield exactly one series."""

    def __init__(self, grid: Grid, *, query: str) -> None:
        self._grid = grid
        self._query = query
        self._values = np.full(grid.size, np.nan)
        self._labels: dict[frozenset[tuple[str, str]], Mapping[str, str]] = {}

    def add(self, result: Sequence[Mapping[str, Any]], chunk: Chunk) -> None:
        for item in result:
            metric = item.get("metric", {})
            self._labels.setdefault(_labels_key(metric), metric)
            if len(self._labels) > 1:
                shown = ", ".join(format_labels(m) for m in list(self._labels.values())[:3])
                raise AmbiguousResult(
                    f"query {self._query!r} returned several series ({shown}) where one was "
                    "expected; aggregate it, e.g. sum(...) or sum by (label) (...)"
                )
            values = item.get("values", [])
            self._values[self._grid.positions(values, chunk)] = sample_values(values)

    def series(self) -> pd.Series:
        if not self._labels:
            raise EmptyResult(
                f"query {self._query!r} matched no series in the window: no data yet, or a "
                "selector that matches nothing (try it in the Prometheus UI)"
            )
        return pd.Series(self._values, index=self._grid.index(), name=self._query, copy=False)


class BatchAccumulator:
    """Merges chunk replies of a ``by (label)`` query into one series per label value.

    Values go into one (series x grid) matrix in a single vectorised assignment per reply: with
    1,000 small series, per-series numpy calls would cost more than the parsing itself.
    """

    def __init__(self, grid: Grid, *, query: str, label: str) -> None:
        self._grid = grid
        self._query = query
        self._label = label
        self._rows: dict[str, int] = {}
        self._labels: list[Mapping[str, str]] = []
        self._matrix = np.empty((0, grid.size))

    @property
    def series_count(self) -> int:
        """Series seen so far: sizes the next request so one reply stays small."""
        return len(self._rows)

    def add(self, result: Sequence[Mapping[str, Any]], chunk: Chunk) -> None:
        rows = self._rows_of(result)
        samples = [item.get("values", ()) for item in result]
        pairs = [pair for values in samples for pair in values]
        cells = np.repeat(rows, [len(values) for values in samples])
        self._matrix[cells, self._grid.positions(pairs, chunk)] = sample_values(pairs)

    def _rows_of(self, result: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The matrix row of each series in ``result``, adding rows for new label values."""
        rows = np.empty(len(result), dtype=np.intp)
        seen: set[str] = set()
        for i, item in enumerate(result):
            metric = item.get("metric", {})
            key = self._key(metric)
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = len(self._labels)
                self._labels.append(metric)
            elif key in seen or _labels_key(self._labels[row]) != _labels_key(metric):
                self._duplicate(key, metric)
            seen.add(key)
            rows[i] = row
        if len(self._labels) > len(self._matrix):  # grow (doubling) when new series appear
            grown = np.full(
                (max(len(self._labels), 2 * len(self._matrix)), self._grid.size), np.nan
            )
            grown[: len(self._matrix)] = self._matrix
            self._matrix = grown
        return rows

    def _key(self, metric: Mapping[str, str]) -> str:
        key = metric.get(self._label)
        if key is None:
            raise AmbiguousResult(
                f"query {self._query!r} returned the series {format_labels(metric)} without "
                f"the label {self._label!r}; group it with e.g. sum by ({self._label}) (...)"
            )
        return key

    def _duplicate(self, key: str, metric: Mapping[str, str]) -> None:
        first = self._labels[self._rows[key]]
        raise AmbiguousResult(
            f"query {self._query!r} returned several series with {self._label}={key!r} "
            f"({format_labels(first)}, {format_labels(metric)}); aggregate "
            f"them with e.g. sum by ({self._label}) (...)"
        )

    def series(self) -> dict[str, pd.Series]:
        if not self._rows:
            raise EmptyResult(
                f"query {self._query!r} matched no series in the window: no data yet, or a "
                "selector that matches nothing (try it in the Prometheus UI)"
            )
        index = self._grid.index()
        return {
            key: pd.Series(self._matrix[row], index=index, name=key, copy=False)
            for key, row in sorted(self._rows.items())
        }


def _step_ms(step: timedelta) -> int:
    if not isinstance(step, timedelta) or step <= timedelta(0):
        raise ConfigError(f"step must be a positive timedelta (e.g. 1m), got {step!r}")
    if step % _MS:
        raise ConfigError(f"step {step} is not a whole number of milliseconds")
    return step // _MS


def _epoch_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _US
