"""A scriptable Prometheus over HTTP: real ``/api/v1/query_range`` replies that can turn bad.

Real Prometheus can be stopped, but it never answers ``200`` with ``"NaNx"`` in a sample, hangs
on purpose, or changes its data while a test watches. `PromStandIn` serves ``query_range`` the way
Prometheus does (the ``{"status": "success", "data": {"resultType": "matrix", ...}}`` body, every
step-grid sample in ``[start, end]``, no sample after ``now()``), from in-memory series keyed by
the exact query text, and lets a test script each reply: `fault` installs, per query (or for
every query with ``"*"``), a function from the honest body to the `Reply` actually sent (a bad
body, an HTTP error, a delay). The client under test is the production `PrometheusSource`, over
a real socket.
"""

from __future__ import annotations

import json
import math
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pandas as pd

from tests.integration.loopback import LoopbackServer, send

__all__ = ["BAD_REPLIES", "PromStandIn", "Reply"]


@dataclass(frozen=True, slots=True)
class Reply:
    """What the stand-in sends: ``body`` (JSON-able, or raw ``bytes``) with ``status`` after
    ``delay`` seconds."""

    body: Any
    status: int = 200
    delay: float = 0.0


Fault = Callable[[dict[str, Any]], Reply]


def _values(real: dict[str, Any], mangle: Callable[[list[Any]], Any]) -> dict[str, Any]:
    data = real["data"]
    result = [{**item, "values": [mangle(pair) for pair in item["values"]]}
              for item in data["result"]]  # fmt: skip
    return {**real, "data": {**data, "result": result}}


BAD_REPLIES: dict[str, Fault] = {
    "value NaNx": lambda real: Reply(_values(real, lambda pair: [pair[0], "NaNx"])),
    "sample [[t]]": lambda real: Reply(_values(real, lambda pair: [pair[0]])),
    "data: []": lambda real: Reply({"status": "success", "data": []}),
    "data: a string": lambda real: Reply({"status": "success", "data": "matrix"}),
    "result: a mapping": lambda real: Reply(
        {"status": "success", "data": {"resultType": "matrix", "result": {"a": 1}}}
    ),
    "values: null": lambda real: Reply(_values(real, lambda pair: None)),
    "timestamp not a number": lambda real: Reply(_values(real, lambda pair: ["t", pair[1]])),
    "JSON nested 100,000 deep": lambda real: Reply(b"[" * 100_000 + b"]" * 100_000),
    "series not a mapping": lambda real: Reply(
        {"status": "success", "data": {"resultType": "matrix", "result": [[1, 2]]}}
    ),
}
"""Well-formed JSON, status 200, values no Prometheus sends: each must be a metrics failure."""


class PromStandIn(LoopbackServer):
    """See the module docstring. ``now`` hides the future (a virtual clock's ``now``)."""

    def __init__(
        self,
        series: Mapping[str, pd.Series] | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.series: dict[str, pd.Series] = dict(series or {})
        self.now = now or (lambda: datetime.now(UTC))
        self.faults: dict[str, Fault] = {}
        self.requests: list[str] = []
        """The query of every request received, in order."""
        self._lock = threading.Lock()
        super().__init__(_handler(self))

    def fault(self, query: str, fault: Fault | None) -> None:
        """Send ``fault(honest body)`` for ``query`` (``"*"``: every query); None: honest."""
        with self._lock:
            if fault is None:
                self.faults.pop(query, None)
            else:
                self.faults[query] = fault

    def reply(self, params: Mapping[str, str]) -> Reply:
        query = params.get("query", "")
        with self._lock:
            self.requests.append(query)
            fault = self.faults.get(query) or self.faults.get("*")
        honest = self.matrix(query, params)
        return fault(honest) if fault is not None else Reply(honest)

    def matrix(self, query: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Prometheus's answer: the grid samples in ``[start, end]`` up to ``now()``."""
        series = self.series.get(query)
        result: list[dict[str, Any]] = []
        if series is not None:
            start, end = float(params["start"]), float(params["end"])
            end = min(end, self.now().timestamp())
            step = float(params["step"])
            seconds = pd.DatetimeIndex(series.index).as_unit("s").asi8
            values = [
                [int(t), _text(v)]
                for t, v in zip(seconds.tolist(), series.to_numpy().tolist(), strict=True)
                if start <= t <= end and (t - start) % step == 0 and not math.isnan(v)
            ]
            if values:
                result.append({"metric": {"__name__": "load"}, "values": values})
        return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def _text(value: float) -> str:
    return f"{value:.17g}"


def _handler(standin: PromStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/api/v1/query_range":
                self._send(Reply({"status": "error", "error": "not found"}, status=404))
                return
            params = dict(urllib.parse.parse_qsl(url.query))
            self._send(standin.reply(params))

        def _send(self, reply: Reply) -> None:
            if reply.delay and standin.stop.wait(reply.delay):
                return
            body = reply.body
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            send(self, reply.status, "application/json", payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    return Handler
