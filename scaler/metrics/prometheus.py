"""`PrometheusSource`: the `MetricsSource` backed by a Prometheus HTTP API.

The only module that imports ``prometheus_api_client``. The `PrometheusConnect` object is the
client: it holds the URL, headers, auth, TLS and proxy settings and the HTTP session. Requests go
through that session straight to ``/api/v1/query_range`` rather than through
``custom_query_range``, because we need what that method hides: the HTTP status and Prometheus's
own JSON error (to pass a 400's message on as `QueryError`), and the raw reply, which is parsed
straight into preallocated numpy arrays instead of lists of dicts.

Resilience, all bounded and visible:
- every request has a timeout (the client library defaults to none), which is also sent to
  Prometheus as its ``timeout`` parameter so the server stops evaluating when we stop waiting;
- transport failures, 429 and 5xx are retried ``retries`` times with exponential backoff and
  full jitter (``sleep`` and ``rng`` are injectable so tests do not wait), then raise
  `MetricsUnavailable`; every other 4xx raises `QueryError` at once: retrying bad PromQL is futile;
- the client library's own urllib3 retries (3 attempts with real 1-4 s sleeps) are replaced by
  none on this client's URL, so a dead server costs exactly what the settings say.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlparse

import pandas as pd
import requests
from prometheus_api_client import PrometheusConnect
from requests.adapters import HTTPAdapter

from forescale.scaler.errors import (
    ConfigError,
    MalformedReply,
    MetricsUnavailable,
    QueryError,
    ScalerError,
)
from forescale.scaler.metrics.prom_grid import (
    BatchAccumulator,
    Chunk,
    Grid,
    SeriesAccumulator,
    check_label_name,
)

__all__ = ["MAX_POINTS_PER_QUERY", "MAX_SAMPLES_PER_QUERY", "PrometheusSource"]

log = logging.getLogger(__name__)

MAX_POINTS_PER_QUERY = 11_000
"""Prometheus refuses a query_range whose ``(end - start) / step`` exceeds 11,000."""

MAX_SAMPLES_PER_QUERY = 250_000
"""Samples per batch reply (~40 MB as parsed JSON): bounds memory whatever the target count."""

_FIRST_BATCH_GUESS = 1_000
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class PrometheusSource:
    """Range queries against Prometheus, returned as regular UTC series (gaps as NaN).

    ``timeout`` (seconds) bounds each HTTP request; ``retries`` is the number of extra attempts
    after a transient failure; the n-th wait is uniform in ``[0, min(max_backoff,
    backoff * 2**n)]``. Worst case per request: ``(retries + 1) * timeout`` plus the waits.
    """

    def __init__(
        self,
        client: PrometheusConnect,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_points_per_query: int = MAX_POINTS_PER_QUERY,
        max_samples_per_query: int = MAX_SAMPLES_PER_QUERY,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not timeout > 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {timeout}")
        if retries < 0 or backoff < 0 or max_backoff < 0:
            raise ConfigError("retries, backoff and max_backoff must not be negative")
        if max_points_per_query < 1 or max_samples_per_query < 1:
            raise ConfigError("max_points_per_query and max_samples_per_query must be >= 1")
        self._client = client
        self._base: str = str(client.url).rstrip("/")
        # PrometheusConnect has no public accessor for the session it configured.
        self._session: requests.Session = client._session
        for prefix in {client.url, self._base}:
            self._session.mount(prefix, HTTPAdapter(max_retries=0))
        self._timeout = float(timeout)
        self._retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_points = max_points_per_query
        self._max_samples = max_samples_per_query
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.requests_sent = 0
        """HTTP requests sent (attempts, retries included): the cost benchmarks compare."""

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        headers: Mapping[str, str] | None = None,
        verify: bool | str = True,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_points_per_query: int = MAX_POINTS_PER_QUERY,
        max_samples_per_query: int = MAX_SAMPLES_PER_QUERY,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> PrometheusSource:
        """A source for the Prometheus at ``url`` (e.g. ``http://prometheus:9090``).

        ``headers`` carries auth (``{"Authorization": "Bearer ..."}``); ``verify`` is False to
        skip TLS verification or a CA bundle path. The rest is as in the constructor.
        """
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(
                f"invalid Prometheus URL {url!r}: use the base URL of its HTTP API, "
                "e.g. http://prometheus-operated.monitoring:9090"
            )
        session = requests.Session()
        session.verify = verify
        client = PrometheusConnect(
            url=url.rstrip("/"),
            headers=dict(headers) if headers else None,
            session=session,
            timeout=timeout,
        )
        return cls(
            client,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            max_points_per_query=max_points_per_query,
            max_samples_per_query=max_samples_per_query,
            sleep=sleep,
            rng=rng,
        )

    @property
    def url(self) -> str:
        return self._base

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- MetricsSource -----------------------------------------------------------------------
    def range_query(
        self, query: str, *, start: datetime, end: datetime, step: timedelta
    ) -> pd.Series:
        grid = Grid.covering(start=start, end=end, step=step)
        acc = SeriesAccumulator(grid, query=_check_query(query))
        for chunk in grid.chunks(self._max_points):
            result = self._query_range(query, chunk.start_ms, chunk.end_ms, grid.step_ms)
            self._parsed(acc.add, result, chunk)
        return acc.series()

    def range_query_by(
        self, query: str, *, label: str, start: datetime, end: datetime, step: timedelta
    ) -> dict[str, pd.Series]:
        """Send ``query`` as is: it must yield one series per value of ``label``.

        Write the grouping yourself (``sum by (service) (rate(...[1m]))``), so the aggregation
        (sum, max, avg) stays visible in the target's configuration.
        """
        grid = Grid.covering(start=start, end=end, step=step)
        acc = BatchAccumulator(grid, query=_check_query(query), label=check_label_name(label))
        offset, per_request = 0, self._batch_points(expected_series=_FIRST_BATCH_GUESS)
        while offset < grid.size:
            chunk = grid.chunk_at(offset, per_request)
            result = self._query_range(query, chunk.start_ms, chunk.end_ms, grid.step_ms)
            self._parsed(acc.add, result, chunk)
            offset += chunk.size
            per_request = self._batch_points(expected_series=acc.series_count)
        return acc.series()

    def _batch_points(self, *, expected_series: int) -> int:
        """Points per request so one reply holds at most ``max_samples_per_query`` samples.

        Prometheus limits points per series, not per reply: 1,000 targets x 11,000 points would
        be 11 M samples (gigabytes as parsed JSON). The first request guesses the series count;
        later ones use the count seen.
        """
        fitting = self._max_samples // max(1, expected_series)
        return max(1, min(self._max_points, fitting))

    def _parsed(
        self,
        add: Callable[[list[dict[str, Any]], Chunk], None],
        result: list[dict[str, Any]],
        chunk: Chunk,
    ) -> None:
        """Fill one reply onto the grid. A reply of the right outline whose samples are not
        ``[seconds, "value"]`` pairs (``"NaNx"``, ``[t]``, ``null``) is `MalformedReply`: that
        target's fetch failed, as with a 503; it must never escape the cycle as ValueError."""
        try:
            add(result, chunk)
        except ScalerError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            raise _malformed(self._base, f"{type(exc).__name__}: {exc}") from None

    # -- HTTP ---------------------------------------------------------------------------------
    def _query_range(
        self, query: str, start_ms: int, end_ms: int, step_ms: int
    ) -> list[dict[str, Any]]:
        params = {
            "query": query,
            "start": _seconds(start_ms),
            "end": _seconds(end_ms),
            "step": _seconds(step_ms),
            "timeout": f"{self._timeout:g}s",
        }
        data = self._get("/api/v1/query_range", params)
        kind = data.get("resultType")
        if kind in ("vector", "scalar", "string"):  # a real reply, to another question
            raise QueryError(f"query {query!r} returned a {kind!r} result, not a matrix")
        result = data.get("result")
        if kind != "matrix" or not isinstance(result, list):
            raise _malformed(self._base, f"resultType {kind!r}, result {_shown(result)}")
        if not all(isinstance(item, dict) for item in result):
            raise _malformed(self._base, "a series that is not a JSON object")
        return result

    def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """GET ``path`` with bounded retries; the reply's ``data`` or a typed error."""
        url = self._base + path
        problem = ""
        for attempt in range(self._retries + 1):
            if attempt:
                self._sleep(self._delay(attempt - 1))
            self.requests_sent += 1
            try:
                response = self._session.get(
                    url,
                    params=params,
                    headers=self._client.headers,
                    auth=self._client.auth,
                    timeout=self._timeout,
                )
            except requests.Timeout:
                problem = f"did not answer within {self._timeout:g}s"
            except requests.RequestException as exc:
                problem = f"is unreachable ({type(exc).__name__})"
            else:
                if response.status_code == 200:
                    return _success_data(response, url)
                message = _error_message(response)
                if response.status_code not in _RETRYABLE_STATUS:
                    raise QueryError(f"Prometheus refused the query: {message}")
                problem = f"failed: {message}"
            log.debug("Prometheus %s %s (attempt %d)", url, problem, attempt + 1)
        raise MetricsUnavailable(
            f"Prometheus at {self._base} {problem}; gave up after {self._retries + 1} "
            "attempts. Check that it is running and reachable, or raise the timeout."
        )

    def _delay(self, retry: int) -> float:
        """Full-jitter exponential backoff: desynchronises many controllers after an outage."""
        cap = min(self._max_backoff, self._backoff * 2.0**retry)
        return self._rng.uniform(0.0, cap)


def _check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise ConfigError("the PromQL query is empty; e.g. sum(rate(http_requests_total[1m]))")
    return query


def _seconds(ms: int) -> str:
    """Unix milliseconds as the seconds string Prometheus parses exactly."""
    whole, frac = divmod(ms, 1000)
    return f"{whole}.{frac:03d}" if frac else str(whole)


def _success_data(response: requests.Response, url: str) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        body = None
    if not isinstance(body, dict) or body.get("status") != "success":
        raise QueryError(
            f"{url} answered 200 but not with a Prometheus API reply "
            f"({response.text[:200]!r}); is the URL the Prometheus base URL?"
        )
    warnings = body.get("warnings") or []
    for warning in warnings if isinstance(warnings, list) else [warnings]:
        log.warning("Prometheus warning: %s", str(warning)[:500])
    data = body.get("data")
    if not isinstance(data, dict):
        raise _malformed(url, f"data is {_shown(data)}, not an object")
    return data


def _malformed(where: str, what: str) -> MalformedReply:
    return MalformedReply(
        f"Prometheus at {where} answered 200 with a malformed reply ({what}); "
        "is it a Prometheus-compatible query_range API?"
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _error_message(response: requests.Response) -> str:
    """Prometheus's own ``errorType: error`` text when the body has it, else the status line."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict) and body.get("error"):
        return f"{body.get('errorType', 'error')}: {body['error']} (HTTP {response.status_code})"
    hint = ""
    if response.status_code == 404:
        hint = "; is the URL the Prometheus base URL (no /api/v1 or /graph suffix)?"
    elif response.status_code in (401, 403):
        hint = "; check the credentials passed in headers"
    text = response.text.strip()[:200]
    return f"HTTP {response.status_code} {response.reason}: {text!r}{hint}"
