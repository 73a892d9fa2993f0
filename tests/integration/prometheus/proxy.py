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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

__all__ = ["FlakyProxy"]


class FlakyProxy:
    def __init__(self, upstream: str, *, delay: float = 0.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay = delay
        self.fail_next = 0
        self.fail_status = 503
        self.requests = 0
        self.last_headers: dict[str, str] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()  # releases handlers still waiting out their delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_action(self) -> bool:
        """Count the request; True when it must fail."""
        with self._lock:
            self.requests += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False

    def _forward(self, path: str) -> tuple[int, str, bytes]:
        if self._stop.wait(self.delay):
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
                self._reply(status, ctype, payload.encode())
                return
            self._reply(*proxy._forward(self.path))

        def _reply(self, status: int, ctype: str, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left: exactly what slow tests provoke

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    return Handler
