"""A loopback HTTP proxy in front of moto that answers chosen AWS calls with AWS errors.

moto never throttles, never expires a token and never has an outage; this proxy makes it look as
if AWS did, over real HTTP, so botocore's own retry machinery and our error translation run for
real. Every request is recorded with the service and operation it carried (``Action=`` of the
query protocol, or the S3 operation inferred from method and path), so tests can count attempts.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from xml.sax.saxutils import escape

from tests.integration.loopback import LoopbackServer

__all__ = ["AwsFaultProxy", "Fault", "ProxiedRequest"]

_WRITE_PREFIXES = ("Set", "Put", "Update", "Create", "Delete", "Batch", "Attach", "Detach")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass(frozen=True, slots=True)
class ProxiedRequest:
    """A request as it arrived (recorded before any delay, so attempts a client gave up on
    still count)."""

    service: str
    operation: str
    injected: bool
    host: str = ""
    """The Host header: which client sent it, when each addresses the proxy by another name."""
    at: float = 0.0
    """`time.monotonic` on arrival: orders it against the Kubernetes test server's log."""

    @property
    def writes(self) -> bool:
        """An operation that changes something (Set/Put/Update/Create/Delete/BatchPut...)."""
        return self.operation.startswith(_WRITE_PREFIXES)


@dataclass(slots=True, kw_only=True)
class Fault:
    """Answer the next ``times`` matching requests with ``status`` and an AWS error ``code``
    (``code=None``: forward them, after ``delay`` seconds)."""

    code: str | None
    status: int = 400
    delay: float = 0.0
    times: int = 1
    operation: str | None = None
    service: str | None = None
    message: str = "injected by the test proxy"
    raw_body: bytes | None = None
    """Send this instead of an AWS error document (e.g. an HTML 500 page)."""

    def matches(self, service: str, operation: str) -> bool:
        return (
            self.times > 0
            and self.operation in (None, operation)
            and self.service in (None, service)
        )


class AwsFaultProxy(LoopbackServer):
    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self._upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.requests: list[ProxiedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        super().__init__(_handler(self))

    def fail(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.requests.clear()

    def count(self, operation: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.operation == operation)

    # -- used by the handler ----------------------------------------------------------------
    def _take_fault(self, service: str, operation: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(service, operation):
                    fault.times -= 1
                    return fault
            return None

    def _record(self, request: ProxiedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _service(headers: dict[str, str]) -> str:
    """The SigV4 credential scope names the service: ``Credential=AKID/date/region/svc/...``."""
    auth = headers.get("authorization", "")
    scope = auth.partition("Credential=")[2].split(",")[0].split("/")
    return scope[3] if len(scope) > 3 else "?"


def _operation(service: str, method: str, path: str, body: bytes) -> str:
    if service != "s3":
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        return form.get("Action", ["?"])[0]
    url = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    has_key = len([p for p in url.path.split("/") if p]) > 1
    if method == "GET":
        return "GetObject" if has_key else ("ListObjectsV2" if "list-type" in query else "List")
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "PUT":
        return "PutObject" if has_key else "CreateBucket"
    if method == "DELETE":
        return "DeleteObject" if has_key else "DeleteBucket"
    return method


def _error_body(service: str, fault: Fault) -> bytes:
    if fault.raw_body is not None:
        return fault.raw_body
    error = f"<Code>{escape(fault.code or '')}</Code><Message>{escape(fault.message)}</Message>"
    if service == "s3":
        return f"<Error>{error}<RequestId>fault</RequestId></Error>".encode()
    return (
        f"<ErrorResponse><Error><Type>Sender</Type>{error}</Error>"
        "<RequestId>fault</RequestId></ErrorResponse>"
    ).encode()


def _handler(proxy: AwsFaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

        def _handle(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = self._body(headers)
            service = _service(headers)
            operation = _operation(service, self.command, self.path, body)
            fault = proxy._take_fault(service, operation)
            injected = fault is not None and fault.code is not None
            proxy._record(ProxiedRequest(service, operation, injected,
                                         headers.get("host", ""), time.monotonic()))  # fmt: skip
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and fault.code is not None:
                payload = _error_body(service, fault)
                kind = "text/html" if fault.raw_body is not None else "text/xml"
                self._reply(fault.status, [("Content-Type", kind)], payload)
                return
            forward = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP}
            status, reply_headers, payload = proxy._forward(self.command, self.path, forward, body)
            self._reply(status, reply_headers, payload)

        def _body(self, headers: dict[str, str]) -> bytes:
            if headers.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(headers.get("content-length", 0) or 0))

        def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response(status)
            head = self.command == "HEAD"  # keeps the upstream Content-Length: the object size
            for key, value in headers:
                if key.lower() not in _HOP_BY_HOP or (head and key.lower() == "content-length"):
                    self.send_header(key, value)
            if not head:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
