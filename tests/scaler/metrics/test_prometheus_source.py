"""`PrometheusSource` against a real Prometheus backfilled with the NASA trace and synthetics."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TypedDict

import numpy as np
import pandas as pd
import pytest

from forescale.scaler.errors import AmbiguousResult, ConfigError, EmptyResult, QueryError
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.metrics.prometheus import PrometheusSource
from tests.integration.prometheus.server import (
    BATCH_QUERY,
    COUNTER_QUERY,
    GAPPY_HOLE,
    GAPPY_NAN_SAMPLES,
    GAPPY_QUERY,
    MULTI_QUERY,
    NASA_QUERY,
    SeededPrometheus,
)

pytestmark = pytest.mark.prometheus
MINUTE = timedelta(minutes=1)


@pytest.fixture
def source(prometheus: SeededPrometheus) -> Iterator[PrometheusSource]:
    with PrometheusSource.from_url(prometheus.url, timeout=10, retries=0) as src:
        yield src


class Span(TypedDict):
    start: datetime
    end: datetime
    step: timedelta


def span(series: pd.Series, step: timedelta = MINUTE) -> Span:
    """The window an expected series covers, as range_query keyword arguments."""
    return Span(
        start=series.index[0].to_pydatetime(), end=series.index[-1].to_pydatetime(), step=step
    )


def test_it_is_a_metrics_source(source: PrometheusSource) -> None:
    assert isinstance(source, MetricsSource)


def test_fourteen_days_at_one_minute_round_trip_exactly(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    got = source.range_query(NASA_QUERY, **span(prometheus.nasa))
    pd.testing.assert_series_equal(got, prometheus.nasa, check_names=False, check_index_type=False)
    index = pd.DatetimeIndex(got.index)
    assert index.freq == MINUTE and str(index.tz) == "UTC"
    assert source.requests_sent == 2  # 20,160 points in two requests under the 11,000 limit


def test_one_request_for_the_whole_window_is_refused_by_prometheus(
    prometheus: SeededPrometheus,
) -> None:
    # why chunking exists: this is the real server's limit and its message is passed on
    src = PrometheusSource.from_url(prometheus.url, retries=0, max_points_per_query=30_000)
    with pytest.raises(QueryError, match="exceeded maximum resolution of 11,000 points"):
        src.range_query(NASA_QUERY, **span(prometheus.nasa))
    assert src.requests_sent == 1  # a bad query is not retried


@pytest.mark.parametrize(("days", "per_request"), [(14, 11_000), (14, 5_000), (1, 97), (1, 1)])
def test_chunked_windows_merge_without_duplicates_or_holes(
    prometheus: SeededPrometheus, days: int, per_request: int
) -> None:
    expected = prometheus.nasa.iloc[-days * 1440 :]
    if per_request == 1:
        expected = expected.iloc[:40]  # one request per point: keep it short
    src = PrometheusSource.from_url(prometheus.url, retries=0, max_points_per_query=per_request)
    got = src.range_query(NASA_QUERY, **span(expected))
    assert got.index.is_unique and len(got) == len(expected)
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert src.requests_sent == math.ceil(len(expected) / per_request)


def test_largest_chunk_is_accepted_in_one_request(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    expected = prometheus.nasa.iloc[-11_000:]
    got = source.range_query(NASA_QUERY, **span(expected))
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert source.requests_sent == 1


def test_a_coarser_step_samples_the_grid(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    got = source.range_query(NASA_QUERY, **span(prometheus.nasa, timedelta(hours=1)))
    on_the_hour = prometheus.nasa[pd.DatetimeIndex(prometheus.nasa.index).minute == 0]
    np.testing.assert_array_equal(got.to_numpy(), on_the_hour.to_numpy())


def test_batch_query_returns_every_target_in_one_request(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    some = next(iter(prometheus.batch.values()))
    got = source.range_query_by(BATCH_QUERY, label="service", **span(some))
    assert sorted(got) == sorted(prometheus.batch)
    for service, expected in prometheus.batch.items():
        np.testing.assert_array_equal(got[service].to_numpy(), expected.to_numpy())
    assert source.requests_sent == 1


def test_batch_queries_are_chunked_too(prometheus: SeededPrometheus) -> None:
    some = next(iter(prometheus.batch.values()))
    src = PrometheusSource.from_url(prometheus.url, retries=0, max_points_per_query=50)
    got = src.range_query_by(BATCH_QUERY, label="service", **span(some))
    assert src.requests_sent == math.ceil(len(some) / 50)
    for service, expected in prometheus.batch.items():
        np.testing.assert_array_equal(got[service].to_numpy(), expected.to_numpy())


def test_batch_replies_are_sized_to_a_sample_budget(prometheus: SeededPrometheus) -> None:
    some = next(iter(prometheus.batch.values()))
    src = PrometheusSource.from_url(prometheus.url, retries=0, max_samples_per_query=2_000)
    got = src.range_query_by(BATCH_QUERY, label="service", **span(some))
    # the first request guesses 1,000 series (2 points); then 2,000 // 200 seen = 10 points
    assert src.requests_sent == 1 + math.ceil((len(some) - 2) / 10)
    for service, expected in prometheus.batch.items():
        np.testing.assert_array_equal(got[service].to_numpy(), expected.to_numpy())


def test_batch_query_without_the_grouping_label_says_how_to_fix_it(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    with pytest.raises(AmbiguousResult, match=r"sum by \(service\)"):
        source.range_query_by(
            "sum(synthetic_load)",
            label="service",
            start=prometheus.end - MINUTE,
            end=prometheus.end,
            step=MINUTE,
        )


def test_bad_promql_raises_query_error_with_prometheus_message(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    with pytest.raises(QueryError, match="bad_data: .*parse error: unclosed left parenthesis"):
        source.range_query(
            "sum(rate(x[1m])", start=prometheus.end - MINUTE, end=prometheus.end, step=MINUTE
        )


def test_a_query_prometheus_cannot_execute_raises_query_error(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    with pytest.raises(QueryError, match="many-to-many matching not allowed"):
        source.range_query(
            f"{MULTI_QUERY} + on() {MULTI_QUERY}",
            start=prometheus.end - MINUTE,
            end=prometheus.end,
            step=MINUTE,
        )


@pytest.mark.parametrize("days_back", [0, 40])
def test_no_matching_series_is_an_empty_result(
    source: PrometheusSource, prometheus: SeededPrometheus, days_back: int
) -> None:
    end = prometheus.end - timedelta(days=days_back)
    query = 'nasa_http_requests_per_minute{site="nowhere"}' if days_back == 0 else NASA_QUERY
    with pytest.raises(EmptyResult, match="matched no series"):
        source.range_query(query, start=end - timedelta(hours=1), end=end, step=MINUTE)


def test_several_series_where_one_was_expected_is_ambiguous(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    with pytest.raises(AmbiguousResult, match=r'zone="a".*zone="b"'):
        source.range_query(
            MULTI_QUERY, start=prometheus.end - MINUTE, end=prometheus.end, step=MINUTE
        )


def test_nan_samples_and_gaps_come_back_as_nan(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    stored = prometheus.gappy
    got = source.range_query(GAPPY_QUERY, **span(stored))
    assert got.iloc[list(GAPPY_NAN_SAMPLES)].isna().all()
    # PromQL repeats the last sample for its 5-minute lookback, then reports the gap as a gap.
    hole = got.iloc[GAPPY_HOLE]
    last_before = stored.iloc[GAPPY_HOLE.start - 1]
    assert (hole.iloc[:4] == last_before).all()
    assert hole.iloc[5:].isna().all() and len(hole.iloc[5:]) == 25
    known = stored.notna().to_numpy()
    np.testing.assert_array_equal(got.to_numpy()[known], stored.to_numpy()[known])


def test_counter_resets_do_not_distort_rate(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    got = source.range_query(
        COUNTER_QUERY,
        start=prometheus.end - timedelta(minutes=114),
        end=prometheus.end,
        step=MINUTE,
    )
    np.testing.assert_allclose(got.to_numpy(), 10.0)  # 600 per minute, before and after the reset


def test_invalid_requests_fail_before_any_http_call(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    end = prometheus.end
    with pytest.raises(ConfigError, match="tz-aware"):
        source.range_query(NASA_QUERY, start=end.replace(tzinfo=None), end=end, step=MINUTE)
    with pytest.raises(ConfigError, match="query is empty"):
        source.range_query(" ", start=end - MINUTE, end=end, step=MINUTE)
    with pytest.raises(ConfigError, match="invalid label name"):
        source.range_query_by(
            BATCH_QUERY, label="svc-name", start=end - MINUTE, end=end, step=MINUTE
        )
    assert source.requests_sent == 0
