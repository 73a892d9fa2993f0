"""A tiny loopback HTTP proxy in front of a real server that can be slow or fail on demand.

Real Prometheus does not time out or return 503 when asked; this proxy makes it look like it did,
while every answer that does get through is the real server's. ``delay`` seconds are waited
before forwarding; the next ``fail_next`` requests get ``fail_status`` with a Prometheus-style
JSON error body.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

from tests.integration.loopback import LoopbackServer, send

__all__ = ["FlakyProxy"]


class FlakyProxy(LoopbackServer):
    def __init__(self, upstream: str, *, delay: float = 0.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay = delay
        self.fail_next = 0
        self.fail_status = 503
        self.requests = 0
        self.last_headers: dict[str, str] = {}
        self._lock = threading.Lock()
        super().__init__(_handler(self))

    def _next_action(self) -> bool:
        """Count the request; True when it must fail."""
        with self._lock:
            self.requests += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False

    def _forward(self, path: str) -> tuple[int, str, bytes]:
        if self.stop.wait(self.delay):
            return 503, "text/plain", b"proxy stopping"
        try:
            with urllib.request.urlopen(self.upstream + path, timeout=30) as reply:
                return reply.status, reply.headers.get("Content-Type", ""), reply.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Content-Type", ""), err.read()


def _handler(proxy: FlakyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            proxy.last_headers = dict(self.headers.items())
            if proxy._next_action():
                body = {"status": "error", "errorType": "unavailable", "error": "injected failure"}
                status, ctype, payload = proxy.fail_status, "application/json", json.dumps(body)
                send(self, status, ctype, payload.encode())
                return
            send(self, *proxy._forward(self.path))

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    return Handler
