"""Outages, slowness and transient errors: bounded retries, typed errors, no real sleeping.

The waits between retries go through an injected ``sleep`` that records instead of sleeping; the
only real waiting is the HTTP timeout itself, kept at a fraction of a second.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from forescale.scaler.errors import ConfigError, MetricsUnavailable, QueryError
from forescale.scaler.metrics.prometheus import PrometheusSource
from tests.integration.prometheus.process import PrometheusServer, free_port
from tests.integration.prometheus.proxy import FlakyProxy
from tests.integration.prometheus.server import (
    NASA_QUERY,
    SeededPrometheus,
    minute_floor,
    synthetic_family,
)

MINUTE = timedelta(minutes=1)


class MaxJitter(random.Random):
    """Always draws the top of the jitter range, so the backoff schedule is visible."""

    def uniform(self, a: float, b: float) -> float:
        return b


def recorder() -> tuple[list[float], Callable[[float], None]]:
    slept: list[float] = []
    return slept, slept.append


def test_unreachable_server_raises_metrics_unavailable_after_bounded_backoff() -> None:
    slept, sleep = recorder()
    src = PrometheusSource.from_url(
        f"http://127.0.0.1:{free_port()}",
        timeout=1,
        retries=4,
        backoff=0.5,
        max_backoff=3.0,
        sleep=sleep,
        rng=MaxJitter(),
    )
    end = minute_floor(datetime.now(UTC))
    with pytest.raises(MetricsUnavailable, match=r"unreachable.*gave up after 5 attempts"):
        src.range_query("up", start=end - MINUTE, end=end, step=MINUTE)
    assert slept == [0.5, 1.0, 2.0, 3.0]  # exponential, capped at max_backoff
    assert src.requests_sent == 5


def test_jitter_spreads_retries_below_the_backoff_cap() -> None:
    slept, sleep = recorder()
    src = PrometheusSource.from_url(
        f"http://127.0.0.1:{free_port()}", retries=6, backoff=1.0, sleep=sleep, rng=random.Random(7)
    )
    end = minute_floor(datetime.now(UTC))
    with pytest.raises(MetricsUnavailable):
        src.range_query("up", start=end - MINUTE, end=end, step=MINUTE)
    caps = [min(8.0, 2.0**n) for n in range(6)]
    assert all(0 <= s <= cap for s, cap in zip(slept, caps, strict=True))
    assert len(set(slept)) == len(slept)  # not a fixed schedule every controller shares


@pytest.mark.parametrize(
    ("url", "message"), [("prometheus:9090", "invalid Prometheus URL"), ("http://", "invalid")]
)
def test_a_malformed_url_is_a_config_error(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PrometheusSource.from_url(url)


@pytest.mark.prometheus
def test_server_stopped_mid_test_raises_metrics_unavailable(
    prometheus_factory: Callable[..., PrometheusServer],
) -> None:
    end = minute_floor(datetime.now(UTC))
    family, expected = synthetic_family(end=end, targets=1, minutes=30)
    server = prometheus_factory(families=[family])
    slept, sleep = recorder()
    src = PrometheusSource.from_url(server.url, timeout=2, retries=2, sleep=sleep)
    query = 'synthetic_load{service="svc-0000"}'
    before = src.range_query(query, start=end - 29 * MINUTE, end=end, step=MINUTE)
    np.testing.assert_array_equal(before.to_numpy(), expected["svc-0000"].to_numpy())

    server.stop()
    assert not server.running()
    with pytest.raises(MetricsUnavailable, match=server.url):
        src.range_query(query, start=end - 29 * MINUTE, end=end, step=MINUTE)
    assert len(slept) == 2


@pytest.mark.prometheus
def test_slow_responses_time_out_and_fail_within_the_bound(prometheus: SeededPrometheus) -> None:
    end = prometheus.end
    with FlakyProxy(prometheus.url, delay=5.0) as proxy:
        src = PrometheusSource.from_url(proxy.url, timeout=0.2, retries=1, sleep=lambda _: None)
        began = time.monotonic()
        with pytest.raises(MetricsUnavailable, match=r"did not answer within 0.2s"):
            src.range_query(NASA_QUERY, start=end - MINUTE, end=end, step=MINUTE)
        assert time.monotonic() - began < 2.0  # 2 attempts x 0.2 s, not 2 x 5 s
        assert proxy.requests == 2


@pytest.mark.prometheus
def test_a_response_slower_than_usual_but_within_the_timeout_succeeds(
    prometheus: SeededPrometheus,
) -> None:
    expected = prometheus.nasa.iloc[-60:]
    with FlakyProxy(prometheus.url, delay=0.1) as proxy:
        src = PrometheusSource.from_url(proxy.url, timeout=2, retries=0)
        got = src.range_query(
            NASA_QUERY, start=expected.index[0], end=expected.index[-1], step=MINUTE
        )
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


@pytest.mark.prometheus
def test_headers_such_as_credentials_reach_the_server(prometheus: SeededPrometheus) -> None:
    end = prometheus.end
    with FlakyProxy(prometheus.url) as proxy:
        src = PrometheusSource.from_url(proxy.url, headers={"Authorization": "Bearer s3cret"})
        src.range_query(NASA_QUERY, start=end - MINUTE, end=end, step=MINUTE)
    assert proxy.last_headers["Authorization"] == "Bearer s3cret"


@pytest.mark.prometheus
def test_transient_503s_are_retried_until_the_real_answer(prometheus: SeededPrometheus) -> None:
    expected = prometheus.nasa.iloc[-60:]
    slept, sleep = recorder()
    with FlakyProxy(prometheus.url) as proxy:
        proxy.fail_next = 2
        src = PrometheusSource.from_url(proxy.url, retries=2, sleep=sleep)
        got = src.range_query(
            NASA_QUERY, start=expected.index[0], end=expected.index[-1], step=MINUTE
        )
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert proxy.requests == 3 and len(slept) == 2


@pytest.mark.prometheus
def test_persistent_503s_give_up_with_the_servers_message(prometheus: SeededPrometheus) -> None:
    end = prometheus.end
    with FlakyProxy(prometheus.url) as proxy:
        proxy.fail_next = 10
        src = PrometheusSource.from_url(proxy.url, retries=2, sleep=lambda _: None)
        with pytest.raises(MetricsUnavailable, match=r"unavailable: injected failure \(HTTP 503\)"):
            src.range_query(NASA_QUERY, start=end - MINUTE, end=end, step=MINUTE)
        assert proxy.requests == 3


@pytest.mark.prometheus
def test_a_wrong_path_prefix_says_to_use_the_base_url(prometheus: SeededPrometheus) -> None:
    src = PrometheusSource.from_url(prometheus.url + "/graph", retries=0)
    end = prometheus.end
    with pytest.raises(QueryError, match="HTTP 404.*base URL"):
        src.range_query(NASA_QUERY, start=end - MINUTE, end=end, step=MINUTE)


class LoginPage(BaseHTTPRequestHandler):
    """What a misrouted ingress or an auth proxy answers: 200 and HTML."""

    def do_GET(self) -> None:  # noqa: N802
        body = b"<html>Please log in</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture
def login_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), LoginPage)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_non_prometheus_reply_is_not_mistaken_for_data(login_page: str) -> None:
    src = PrometheusSource.from_url(login_page, retries=0)
    end = minute_floor(datetime.now(UTC))
    with pytest.raises(QueryError, match="not with a Prometheus API reply.*Please log in"):
        src.range_query("up", start=end - MINUTE, end=end, step=MINUTE)
