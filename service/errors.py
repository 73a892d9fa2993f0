"""Every error as an RFC 9457 problem (``application/problem+json``), never a traceback.

Domain errors map by class: unknown target or model 404, `ForecastUnavailable` and temporary
failures (store or backend down) 503 with ``Retry-After``, other `ScalerError`s 409 (the target's
state does not allow the request). Validation errors list each bad parameter with a sentence;
the offending input is not echoed (it may be a credential).
Anything unexpected is logged with its traceback and answered with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from forescale.scaler.controller.view import UnknownTarget
from forescale.scaler.errors import ForecastUnavailable, ModelNotFound, ScalerError, TemporaryError
from forescale.service.auth import AuthError
from forescale.service.schemas import Problem

__all__ = [
    "PROBLEM_TYPE",
    "InvalidRequest",
    "ProblemResponse",
    "install",
    "problem",
    "problems",
    "user_input",
]

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_TYPE


class InvalidRequest(Exception):
    """A request that passed type validation but makes no sense (e.g. ``end`` before ``start``)."""

    def __init__(self, detail: str, *, param: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.param = param


@contextmanager
def user_input(*params: str) -> Iterator[None]:
    """Inside, a plain `ValueError` (not a `ScalerError`) is about ``params``: answer 422."""
    try:
        yield
    except ValueError as exc:
        if isinstance(exc, ScalerError):
            raise
        raise InvalidRequest(str(exc), param=", ".join(params) or None) from None


def problem(
    status: int, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> ProblemResponse:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, **extra)
    return ProblemResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error codes (the content type is fixed in `app`)."""
    return {code: {"model": Problem, "description": HTTPStatus(code).phrase} for code in codes}


def _location(loc: Sequence[int | str]) -> str:
    where, *path = [str(p) for p in loc] or ["request"]
    return f"{where} parameter {'.'.join(path)!r}" if path else where


def _validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": _location(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
    return problem(422, detail or "invalid request", errors=errors)


def _invalid(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidRequest)
    errors = [{"location": f"query parameter {exc.param!r}", "message": exc.detail}]
    return problem(422, exc.detail, errors=errors if exc.param else None)


def _auth(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthError)
    headers = {"WWW-Authenticate": 'Bearer realm="forescale"'} if exc.status == 401 else None
    return problem(exc.status, exc.detail, headers=headers)


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and "targets/" in request.url.path:
        detail = "no such page; target names are namespace/name, e.g. /v1/targets/shop/checkout"
    return problem(exc.status_code, detail, headers=exc.headers)


def _message(exc: BaseException) -> str:
    # KeyError subclasses (UnknownTarget, ModelNotFound) quote their message: unwrap it.
    return str(exc.args[0]) if len(exc.args) == 1 else str(exc)


def _domain(status: int, *, retry: bool = False) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, exc: Exception) -> Response:
        if status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, _message(exc))
        delay = getattr(exc, "delay", None) or 30
        headers = {"Retry-After": str(int(delay))} if retry else None
        return problem(status, _message(exc), headers=headers)

    return handle


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal error; the server log has the details")


Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def install(app: FastAPI) -> None:
    """Register the handlers; Starlette picks the most specific class in the exception's MRO."""
    handlers: dict[type[Exception], Handler] = {
        RequestValidationError: _validation,
        InvalidRequest: _invalid,
        AuthError: _auth,
        StarletteHTTPException: _http,
        UnknownTarget: _domain(404),
        ModelNotFound: _domain(404),
        ForecastUnavailable: _domain(503, retry=True),
        TemporaryError: _domain(503, retry=True),
        ScalerError: _domain(409),
        Exception: _unexpected,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
