"""A Kubernetes-API-speaking HTTP server on loopback, for the official client to talk to.

Why our own and not kmock: kmock 0.8 sets no ``resourceVersion`` (so no optimistic-concurrency
409), has no PUT, and validates nothing (infra-recipes.md section 3); Forescale's HPA actuator
and leader election are *about* those things. Why the standard library's ``ThreadingHTTPServer``
and not FastAPI/uvicorn: it starts in milliseconds with no event loop, each request runs in its
own thread (so a scripted 5 s delay on one path holds up nothing else, exactly like a slow API
server), and a blocking handler is the simplest faithful model of a delay or a dropped reply.

Served: ``/version``; GET (one or list, namespaced or all namespaces), POST, PUT, PATCH (merge,
strategic-as-merge, JSON patch) and DELETE for the resources in `resources.RESOURCES`, plus
their ``/status`` subresource; error bodies are ``Status`` objects. Lists honour equality label
selectors. ``?watch=true``, field selectors and set-based label selectors answer 400: they are
not emulated, and a test must not pass by having them silently ignored. Every request is
recorded in `KubeApiServer.requests`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.integration.kube.faults import Faults, error_for
from tests.integration.kube.resources import RESOURCES, ApiError, ResourceType
from tests.integration.kube.store import Store

__all__ = ["KubeApiServer", "RecordedRequest"]

_PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?(?:/(?P<sub>[^/]+))?$"
)
VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "forescale-test-apiserver",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T00:00:00Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    """The listen backlog (the standard library's default is 5): two controller replicas with
    their worker pools open dozens of connections at once, and with 5 the kernel dropped the
    rest, which the client saw as a 1 s connect timeout: an outage the test never injected."""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    verb: str
    path: str
    query: dict[str, list[str]]
    content_type: str | None
    body: Any
    status: int
    host: str = ""
    """The request's Host header: which of several clients sent it, when each addresses the
    server by another name (``127.0.0.1`` or ``localhost``)."""
    at: float = 0.0
    """`time.monotonic` when it was answered: orders it against other servers' logs (the AWS
    proxy's) in the same test process."""


@dataclass(frozen=True, slots=True)
class _Route:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


class KubeApiServer:
    """Start with `start()` (port 0 picks a free one), stop with `stop()`; `url` for clients."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = Store()
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._waking = threading.Event()
        """Set by `stop` and during `reset`: cuts short any scripted delay still sleeping."""
        self._inflight = 0
        self._idle = threading.Condition()
        self._log_lock = threading.Lock()
        self._types = {(rt.group, rt.version, rt.plural): rt for rt in RESOURCES}
        self._httpd = _Server((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> KubeApiServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="kube-test-apiserver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._waking.set()  # wakes handlers sleeping in a scripted delay
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self, *, drain_timeout: float = 5.0) -> None:
        """Forget objects, faults and the request log (between tests).

        Requests still in flight are finished first (their scripted delays cut short): a client
        that timed out leaves the server handling its request, and without the drain that
        request would land in the next test's store and request log.
        """
        self.faults.clear()
        self._waking.set()
        with self._idle:
            drained = self._idle.wait_for(lambda: self._inflight == 0, timeout=drain_timeout)
        if not self._stopping.is_set():
            self._waking.clear()
        if not drained:
            raise RuntimeError(
                f"{self._inflight} request(s) still in flight after {drain_timeout}s"
            )
        self.store.reset()
        self.faults.clear()
        with self._log_lock:
            self.requests.clear()

    def requests_to(self, verb: str, path: str = "") -> list[RecordedRequest]:
        """Recorded requests with this verb whose path contains ``path``."""
        with self._log_lock:
            return [r for r in self.requests if r.verb == verb.upper() and path in r.path]

    # -- request handling (called from handler threads) ---------------------------------------
    def handle(
        self, verb: str, raw_path: str, content_type: str | None, raw_body: bytes, host: str = ""
    ) -> tuple[int, Any, dict[str, str]]:
        with self._idle:
            self._inflight += 1
        try:
            return self._handle(verb, raw_path, content_type, raw_body, host)
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def _handle(
        self, verb: str, raw_path: str, content_type: str | None, raw_body: bytes, host: str
    ) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(raw_path)
        path, query = split.path.rstrip("/"), parse_qs(split.query)
        body: Any = None
        status, payload, headers = 500, None, dict[str, str]()
        try:
            body = json.loads(raw_body) if raw_body else None
            status, payload, headers = self._dispatch(verb, path, query, content_type, body)
        except json.JSONDecodeError as exc:
            err = ApiError(400, "BadRequest", f"the body is not valid JSON: {exc}")
            status, payload, headers = err.code, err.status(), err.headers
        except ApiError as err:
            status, payload, headers = err.code, err.status(), err.headers
        with self._log_lock:
            recorded = RecordedRequest(verb, path, query, content_type, body, status, host,
                                       time.monotonic())  # fmt: skip
            self.requests.append(recorded)
        return status, payload, headers

    def _dispatch(
        self, verb: str, path: str, query: dict[str, list[str]], ctype: str | None, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if path == "/version":
            return 200, VERSION, {}
        route = self._route(path)
        fault = self.faults.take(verb, path)
        if fault is not None:
            if fault.delay > 0:
                self._waking.wait(fault.delay)
            if fault.before is not None:
                fault.before()
            if fault.status is not None:
                raise error_for(
                    fault,
                    verb=verb,
                    resource=route.rt.plural,
                    group=route.rt.group,
                    namespace=route.namespace,
                    name=route.name,
                )
        if query.get("watch", ["false"])[0] in ("true", "1"):
            raise ApiError(400, "BadRequest", "watch is not emulated by the test API server")
        if verb in ("POST", "PUT") and (ctype or "application/json").split(";")[0] != (
            "application/json"
        ):
            raise ApiError(415, "UnsupportedMediaType", f"unsupported media type {ctype!r}")
        strict = query.get("fieldValidation", [""])[0] == "Strict"
        return self._serve(verb, route, ctype, body, strict=strict, labels=_labels(query))

    def _route(self, path: str) -> _Route:
        match = _PATH.match(path)
        rt = None
        if match is not None:
            group = "" if match["core"] else match["group"]
            version = match["core"] or match["version"]
            rt = self._types.get((group, version, match["plural"]))
        if match is None or rt is None or match["sub"] not in (None, "status"):
            raise ApiError(
                404, "NotFound", f"the server could not find the requested resource ({path})"
            )
        if match["sub"] == "status" and not rt.status_subresource:
            raise ApiError(404, "NotFound", f"{rt.qualified} has no status subresource")
        return _Route(rt, match["ns"], match["name"], match["sub"])

    def _serve(
        self,
        verb: str,
        route: _Route,
        ctype: str | None,
        body: Any,
        *,
        strict: bool,
        labels: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        rt, ns, name, sub = route.rt, route.namespace, route.name, route.subresource
        if name is None:
            if verb == "GET":
                items, version = self.store.list(rt, ns, labels=labels)
                kind = {"kind": f"{rt.kind}List", "apiVersion": rt.api_version}
                return 200, {**kind, "metadata": {"resourceVersion": version}, "items": items}, {}
            if verb == "POST" and ns is not None:
                return 201, self.store.create(rt, ns, _object(body), strict=strict), {}
        elif ns is not None:
            if verb == "GET":
                return 200, self.store.get(rt, ns, name), {}
            if verb == "PUT":
                obj = self.store.update(rt, ns, name, _object(body), subresource=sub, strict=strict)
                return 200, obj, {}
            if verb == "PATCH":
                content_type = (ctype or "").split(";")[0].strip()
                obj = self.store.patch(
                    rt, ns, name, body, content_type=content_type, subresource=sub, strict=strict
                )
                return 200, obj, {}
            if verb == "DELETE" and sub is None:
                return 200, self.store.delete(rt, ns, name), {}
        raise ApiError(405, "MethodNotAllowed", f"{verb} is not supported on this path")


def _labels(query: dict[str, list[str]]) -> dict[str, str]:
    """Equality label selectors (``a=b,c=d``); anything else is refused, never ignored."""
    if "fieldSelector" in query:
        raise ApiError(400, "BadRequest", "fieldSelector is not emulated by the test API server")
    selector = query.get("labelSelector", [""])[0]
    pairs = [term.split("=", 1) for term in selector.split(",") if term]
    if any(len(p) != 2 or p[0].endswith("!") or "(" in p[1] for p in pairs):
        raise ApiError(400, "BadRequest", f"only a=b label selectors are emulated: {selector!r}")
    return {k.strip(): v.strip().lstrip("=") for k, v in pairs}


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "the request body must be a JSON object")
    return body


def _handler_for(server: KubeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as urllib3's pool expects
        disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms ACK stalls

        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, payload, headers = server.handle(
                self.command,
                self.path,
                self.headers.get("Content-Type"),
                raw,
                self.headers.get("Host") or "",
            )
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout): a real server sees the same

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _respond  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the request log lives in KubeApiServer.requests

    return Handler
