"""The step grid, its split into requests and the merge of replies (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forescale.scaler.errors import AmbiguousResult, ConfigError, EmptyResult, QueryError
from forescale.scaler.metrics.prom_grid import (
    BatchAccumulator,
    Grid,
    SeriesAccumulator,
    check_label_name,
    sample_values,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def reply(
    grid: Grid, positions: range, metric: dict[str, str], value: float = 1.0
) -> dict[str, Any]:
    stamps = [(grid.start_ms + i * grid.step_ms) / 1000 for i in positions]
    return {"metric": metric, "values": [[t, repr(value)] for t in stamps]}


def test_grid_covers_the_step_multiples_inside_the_window() -> None:
    grid = Grid.covering(
        start=T0 + timedelta(seconds=10), end=T0 + timedelta(minutes=3), step=MINUTE
    )
    index = grid.index()
    assert list(index) == [T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]
    assert str(index.tz) == "UTC"
    assert index.freq == MINUTE


def test_grid_converts_other_time_zones_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    local = Grid.covering(
        start=T0.astimezone(plus_two), end=(T0 + 2 * MINUTE).astimezone(plus_two), step=MINUTE
    )
    assert local == Grid.covering(start=T0, end=T0 + 2 * MINUTE, step=MINUTE)


@pytest.mark.parametrize(
    ("start", "end", "step", "message"),
    [
        (datetime(2026, 3, 1), T0, MINUTE, "tz-aware"),
        (T0, T0 - MINUTE, MINUTE, "before start"),
        (T0, T0 + MINUTE, timedelta(0), "positive"),
        (T0, T0 + MINUTE, timedelta(microseconds=1500), "whole number of milliseconds"),
        (T0 + timedelta(seconds=1), T0 + timedelta(seconds=59), MINUTE, "no multiple of the step"),
        (T0, T0 + timedelta(days=365), timedelta(seconds=1), "more than the"),
    ],
)
def test_bad_windows_and_steps_are_refused_with_the_fix(
    start: datetime, end: datetime, step: timedelta, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Grid.covering(start=start, end=end, step=step)


@given(size=st.integers(1, 5000), per_request=st.integers(1, 1200))
def test_chunks_partition_the_grid_without_overlap_or_hole(size: int, per_request: int) -> None:
    grid = Grid(start_ms=1_700_000_000_000, step_ms=60_000, size=size)
    chunks = list(grid.chunks(per_request))
    covered = [i for c in chunks for i in range(c.offset, c.offset + c.size)]
    assert covered == list(range(size))
    for chunk in chunks:
        assert chunk.size <= per_request
        assert chunk.start_ms == grid.start_ms + chunk.offset * grid.step_ms
        assert (chunk.end_ms - chunk.start_ms) // grid.step_ms == chunk.size - 1


def test_samples_land_at_the_position_their_timestamp_names() -> None:
    grid = Grid.covering(start=T0, end=T0 + 9 * MINUTE, step=MINUTE)
    first, second = grid.chunks(6)
    acc = SeriesAccumulator(grid, query="q")
    acc.add([reply(grid, range(6, 10), {}, 2.0)], second)  # order of arrival does not matter
    acc.add([reply(grid, range(0, 3), {}, 1.0)], first)  # positions 3-5 missing: a gap
    values = acc.series().to_numpy()
    np.testing.assert_array_equal(values, [1, 1, 1, np.nan, np.nan, np.nan, 2, 2, 2, 2])


def test_a_sample_off_the_grid_is_an_error_not_a_shifted_value() -> None:
    grid = Grid.covering(start=T0, end=T0 + 4 * MINUTE, step=MINUTE)
    (chunk,) = grid.chunks(100)
    off = {"metric": {}, "values": [[grid.start_ms / 1000 + 30, "1"]]}
    with pytest.raises(QueryError, match="off the requested step grid"):
        SeriesAccumulator(grid, query="q").add([off], chunk)


def test_nan_and_infinite_values_become_nan() -> None:
    values = sample_values([[0, "1.5"], [1, "NaN"], [2, "+Inf"], [3, "-Inf"], [4, "0"]])
    np.testing.assert_array_equal(values, [1.5, np.nan, np.nan, np.nan, 0.0])


def test_two_series_for_a_single_series_query_is_ambiguous_even_across_chunks() -> None:
    grid = Grid.covering(start=T0, end=T0 + 9 * MINUTE, step=MINUTE)
    first, second = grid.chunks(5)
    acc = SeriesAccumulator(grid, query="load")
    acc.add([reply(grid, range(0, 5), {"pod": "a"})], first)
    with pytest.raises(AmbiguousResult, match=r'pod="a".*pod="b".*sum\('):
        acc.add([reply(grid, range(5, 10), {"pod": "b"})], second)


def test_no_series_at_all_is_an_empty_result() -> None:
    grid = Grid.covering(start=T0, end=T0 + MINUTE, step=MINUTE)
    acc = SeriesAccumulator(grid, query="up")
    acc.add([], next(grid.chunks(10)))
    with pytest.raises(EmptyResult, match="matched no series"):
        acc.series()


def test_batch_keys_series_by_label_and_merges_chunks() -> None:
    grid = Grid.covering(start=T0, end=T0 + 3 * MINUTE, step=MINUTE)
    first, second = grid.chunks(2)
    acc = BatchAccumulator(grid, query="q", label="service")
    acc.add([reply(grid, range(0, 2), {"service": "a"}, 1.0)], first)
    acc.add(
        [
            reply(grid, range(2, 4), {"service": "a"}, 2.0),
            reply(grid, range(3, 4), {"service": "b"}),
        ],
        second,
    )
    out = acc.series()
    assert sorted(out) == ["a", "b"]
    np.testing.assert_array_equal(out["a"].to_numpy(), [1, 1, 2, 2])
    np.testing.assert_array_equal(out["b"].to_numpy(), [np.nan, np.nan, np.nan, 1])


def test_batch_refuses_series_without_the_label() -> None:
    grid = Grid.covering(start=T0, end=T0 + MINUTE, step=MINUTE)
    acc = BatchAccumulator(grid, query="sum(x)", label="service")
    with pytest.raises(AmbiguousResult, match=r"without the label 'service'.*sum by \(service\)"):
        acc.add([reply(grid, range(2), {})], next(grid.chunks(10)))


@pytest.mark.parametrize("split", [False, True])
def test_batch_refuses_two_series_with_the_same_label_value(split: bool) -> None:
    grid = Grid.covering(start=T0, end=T0 + 3 * MINUTE, step=MINUTE)
    chunks = list(grid.chunks(2 if split else 4))
    acc = BatchAccumulator(grid, query="x", label="service")
    a = {"service": "s", "pod": "1"}
    b = {"service": "s", "pod": "2"}
    with pytest.raises(AmbiguousResult, match="several series with service='s'"):
        if split:
            acc.add([reply(grid, range(0, 2), a)], chunks[0])
            acc.add([reply(grid, range(2, 4), b)], chunks[1])
        else:
            acc.add([reply(grid, range(0, 4), a), reply(grid, range(0, 4), b)], chunks[0])


@pytest.mark.parametrize("label", ["", "1abc", "service-name", "a b"])
def test_invalid_label_names_are_refused(label: str) -> None:
    with pytest.raises(ConfigError, match="invalid label name"):
        check_label_name(label)
