"""`create_app`: the FastAPI application over a `ControllerView` and a `RecordStore`.

The caller (the controller process, the demo, tests) owns the view, the store and the metrics
registry and passes them in; the app only parses, authorises, calls and serialises. Nothing heavy
runs at import or startup. Routes:

- ``/v1/...`` JSON API (see ``/docs``, Swagger UI served from the package: it works offline;
  stable operationIds), errors as problem+json;
- ``/`` and ``/targets/{namespace}/{name}``: the server-rendered chart pages;
- ``/livez``, ``/readyz``, ``/metrics`` (the given Prometheus registry), open to everyone.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry, make_asgi_app
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from forescale.scaler.clock import Clock, SystemClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import ControllerView, RecordStore
from forescale.service import docs, errors, pages
from forescale.service.auth import Authenticator
from forescale.service.routes import ROUTERS

__all__ = ["create_app"]

log = logging.getLogger(__name__)

DESCRIPTION = """\
What Forescale forecasts for each target and why it scaled.

**Auth.** Send `Authorization: Bearer <token>`. Viewer tokens read; operator tokens also retrain,
promote and pause. Behind an authenticating proxy, its `trusted_proxy_header` carries the role.
With no token and no proxy header configured, reads are open and writes are refused.

**Errors** are `application/problem+json` (RFC 9457).
Times are ISO 8601 with an offset; ranges are half-open `[start, end)`.
"""


class _Endpoint:
    """Wraps an ASGI app so Starlette's `Route` serves it as-is (``/metrics``, no redirect)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def create_app(
    view: ControllerView,
    store: RecordStore,
    *,
    settings: ApiSettings,
    registry: CollectorRegistry | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The API over ``view`` (live state) and ``store`` (history).

    ``registry``: served at ``/metrics`` (the process default registry when None). ``clock``:
    "now" for default time ranges (the demo passes its virtual clock).
    """
    auth = Authenticator(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Open reads are the laptop and demo default; in a deployment they usually mean the
        # tokens never arrived, so say it where alerts look.
        (log.warning if auth.open_reads else log.info)("Forescale API up: %s", auth.describe())
        yield

    app = FastAPI(
        title="Forescale",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by `docs` from the package, not from a CDN
        redoc_url=None,
    )
    app.state.view, app.state.store, app.state.auth = view, store, auth
    app.state.clock = clock or SystemClock()
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(pages.router)
    docs.install(app, title="Forescale")
    app.router.routes.append(
        Route("/metrics", _Endpoint(make_asgi_app(registry or REGISTRY)), include_in_schema=False)
    )
    app.add_middleware(_SecurityHeaders)
    app.openapi = _openapi_with_problems(app)  # type: ignore[method-assign]
    return app


class _SecurityHeaders:
    """``nosniff`` everywhere; API answers are not cached (they change every cycle)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                if scope["path"].startswith("/v1/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _openapi_with_problems(app: FastAPI) -> Any:
    """The default schema generator, with error responses typed ``application/problem+json``."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for code, response in operation.get("responses", {}).items():
                        content = response.get("content")
                        if code[0] in "45" and content:  # also on HTML pages' errors
                            response["content"] = {
                                errors.PROBLEM_TYPE: next(iter(content.values()))
                            }
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi
