"""`PrefetchedSource` against the real Prometheus test server: many queries in one request, and
for every query exactly the series (or the error) an unbatched read gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from forescale.scaler.errors import AmbiguousResult, EmptyResult, MetricsUnavailable
from forescale.scaler.metrics.prefetch import BATCH_LABEL, PrefetchedSource, union_query
from forescale.scaler.metrics.prometheus import PrometheusSource
from tests.integration.prometheus.server import MULTI_QUERY, NASA_QUERY, SeededPrometheus

pytestmark = pytest.mark.prometheus
STEP = timedelta(minutes=5)
GONE = 'nasa_http_requests_per_minute{site="nowhere"}'
ARITHMETIC = (NASA_QUERY, f"2 * {NASA_QUERY}", f"{NASA_QUERY} + 10", f"sum({NASA_QUERY})")


@pytest.fixture
def source(prometheus: SeededPrometheus) -> Iterator[PrometheusSource]:
    with PrometheusSource.from_url(prometheus.url, timeout=10, retries=0) as src:
        yield src


def window(prometheus: SeededPrometheus) -> dict[str, object]:
    end = pd.Timestamp(prometheus.end).floor(STEP).to_pydatetime()
    return {"start": end - timedelta(days=2), "end": end, "step": STEP}


def outcome(src: object, query: str, span: dict[str, object]) -> pd.Series | type[Exception]:
    try:
        return src.range_query(query, **span)  # type: ignore[attr-defined, no-any-return]
    except Exception as exc:  # noqa: BLE001 - the error type is the outcome compared
        return type(exc)


def test_the_union_tags_each_query_with_its_position() -> None:
    assert union_query(["up", "2 * up"]) == (
        f'label_replace((up), "{BATCH_LABEL}", "0", "", "") or '
        f'label_replace((2 * up), "{BATCH_LABEL}", "1", "", "")'
    )


def test_four_queries_come_back_in_one_request_as_read_alone(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    span = window(prometheus)
    prefetched = PrefetchedSource(source)

    answered = prefetched.prefetch([*ARITHMETIC, GONE], **span)  # type: ignore[arg-type]

    assert answered == 4 and prefetched.batches == 1
    sent = source.requests_sent
    nasa = prefetched.range_query(NASA_QUERY, **span)  # type: ignore[arg-type]
    doubled = prefetched.range_query(f"2 * {NASA_QUERY}", **span)  # type: ignore[arg-type]
    assert source.requests_sent == sent  # answered from the batch
    expected = prometheus.nasa.loc[nasa.index[0] : nasa.index[-1]].iloc[::5]
    np.testing.assert_array_equal(nasa.to_numpy(), expected.to_numpy())
    np.testing.assert_array_equal(doubled.to_numpy(), 2 * expected.to_numpy())
    for query in ARITHMETIC:
        alone = source.range_query(query, **span)  # type: ignore[arg-type]
        got = prefetched.range_query(query, **span)  # type: ignore[arg-type]
        pd.testing.assert_series_equal(got, alone, check_names=False)
    with pytest.raises(EmptyResult):  # no data: read alone, with the unbatched error
        prefetched.range_query(GONE, **span)  # type: ignore[arg-type]


def test_an_ambiguous_query_sends_each_query_alone_with_its_own_outcome(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    span = window(prometheus)
    prefetched = PrefetchedSource(source)
    queries = [NASA_QUERY, MULTI_QUERY, "42"]

    assert prefetched.prefetch(queries, **span) == 0  # type: ignore[arg-type]

    for query in queries:
        expected, got = outcome(source, query, span), outcome(prefetched, query, span)
        if isinstance(expected, pd.Series):
            pd.testing.assert_series_equal(got, expected)  # type: ignore[arg-type]
        else:
            assert got is expected
    assert outcome(prefetched, MULTI_QUERY, span) is AmbiguousResult


def test_a_long_list_is_split_under_the_request_limit(
    source: PrometheusSource, prometheus: SeededPrometheus
) -> None:
    span = window(prometheus)
    prefetched = PrefetchedSource(source, max_chars=250)  # two of these queries per request

    assert prefetched.prefetch(ARITHMETIC, **span) == 4  # type: ignore[arg-type]

    assert prefetched.batches == 2


def test_an_unreachable_backend_fails_the_batch_not_each_query() -> None:
    with PrometheusSource.from_url("http://127.0.0.1:9", timeout=1, retries=0) as dead:
        prefetched = PrefetchedSource(dead)
        with pytest.raises(MetricsUnavailable):
            prefetched.prefetch(ARITHMETIC, start=pd.Timestamp("2026-01-01", tz="UTC"),
                                end=pd.Timestamp("2026-01-02", tz="UTC"), step=STEP)  # fmt: skip
        assert dead.requests_sent == 1
