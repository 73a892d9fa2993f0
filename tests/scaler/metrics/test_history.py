"""Warm start: history loaded through any MetricsSource, stitched from an older selector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from forescale.scaler.errors import ConfigError, EmptyResult
from forescale.scaler.metrics.history import load_history, series_from_prometheus
from forescale.scaler.metrics.prometheus import PrometheusSource
from forescale.scaler.testing import FrameSource
from tests.integration.prometheus.server import NASA_QUERY, SeededPrometheus

MINUTE = timedelta(minutes=1)
T0 = datetime(2026, 3, 2, tzinfo=UTC)
END = T0 + 9 * MINUTE


def minutes(values: list[float], *, start: datetime = T0) -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="1min"))


def test_without_a_history_query_it_is_the_window_on_a_regular_grid() -> None:
    source = FrameSource({"new": minutes([1, 2, 3], start=T0 + 7 * MINUTE)})
    got = load_history(source, query="new", start=T0, end=END, step=MINUTE)
    index = pd.DatetimeIndex(got.index)
    assert len(got) == 10 and index.freq == MINUTE and str(index.tz) == "UTC"
    assert got.name == "new" and got.dtype == np.float64
    np.testing.assert_array_equal(got.to_numpy()[:7], np.nan)
    np.testing.assert_array_equal(got.to_numpy()[7:], [1, 2, 3])


def test_the_older_selector_fills_only_the_time_before_the_current_one_starts() -> None:
    old = minutes([10.0] * 10)  # the old deployment kept reporting: never blended in
    new = minutes([1, np.nan, 3, 4], start=T0 + 6 * MINUTE)  # its own gap stays a gap
    source = FrameSource({"new": new, "old": old})
    got = load_history(source, query="new", start=T0, end=END, step=MINUTE, history_query="old")
    expected = [10, 10, 10, 10, 10, 10, 1, np.nan, 3, 4]
    np.testing.assert_array_equal(got.to_numpy(), expected)
    assert got.name == "new"


def test_a_workload_with_no_data_yet_is_all_older_history() -> None:
    source = FrameSource({"old": minutes(list(range(10)))})
    got = load_history(source, query="new", start=T0, end=END, step=MINUTE, history_query="old")
    np.testing.assert_array_equal(got.to_numpy(), np.arange(10.0))


def test_the_older_selector_is_not_queried_when_the_current_one_covers_the_window() -> None:
    source = FrameSource({"new": minutes([5.0] * 10)})
    got = load_history(source, query="new", start=T0, end=END, step=MINUTE, history_query="old")
    assert source.calls == 1 and (got == 5.0).all()


def test_no_data_under_either_selector_names_both() -> None:
    source = FrameSource({})
    with pytest.raises(EmptyResult, match="neither 'new' nor its history_query 'old'"):
        load_history(source, query="new", start=T0, end=END, step=MINUTE, history_query="old")
    with pytest.raises(EmptyResult):
        load_history(source, query="new", start=T0, end=END, step=MINUTE)


def test_a_bad_window_is_refused_before_any_query() -> None:
    source = FrameSource({"new": minutes([1.0])})
    with pytest.raises(ConfigError, match="before start"):
        load_history(source, query="new", start=END, end=T0, step=MINUTE)
    assert source.calls == 0


@pytest.mark.prometheus
def test_stitching_against_real_prometheus(prometheus: SeededPrometheus) -> None:
    new = prometheus.batch["svc-0003"]  # the last 3 hours only
    start = prometheus.end - timedelta(hours=6)
    with PrometheusSource.from_url(prometheus.url, retries=0) as source:
        got = load_history(
            source,
            query='synthetic_load{service="svc-0003"}',
            history_query=NASA_QUERY,
            start=start,
            end=prometheus.end,
            step=MINUTE,
        )
    before = got.index < new.index[0]
    np.testing.assert_array_equal(got[before].to_numpy(), prometheus.nasa[start:][:-180].to_numpy())
    np.testing.assert_array_equal(got[~before].to_numpy(), new.to_numpy())


@pytest.mark.prometheus
def test_series_from_prometheus_reads_a_range_ending_now(prometheus: SeededPrometheus) -> None:
    got = series_from_prometheus(
        prometheus.url, NASA_QUERY, range_="14d", step="1m", now=prometheus.end
    )
    # 14 d inclusive of both ends is 20,161 steps; the trace starts one step after the first
    assert len(got) == 20_161 and np.isnan(got.iloc[0])
    np.testing.assert_array_equal(got.iloc[1:].to_numpy(), prometheus.nasa.to_numpy())


def test_series_from_prometheus_refuses_a_bad_duration() -> None:
    with pytest.raises(ValueError, match="e.g. 90s, 5m, 6h, 14d"):
        series_from_prometheus("http://127.0.0.1:9", "up", range_="two weeks", step="1m", now=END)
