"""Request dependencies: the controller view, the store, the caller's role, validated parameters.

Everything the handlers need is on ``app.state`` (set by `service.app.create_app`), so tests build
the app with their own fakes and no global is read. Target names are ``namespace/name`` and travel
in the path unescaped (``/v1/targets/shop/checkout/forecast``): the ``target`` convertor matches
exactly two segments, so a name can never be mistaken for a sub-resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.convertors import Convertor, register_url_convertor

from scaler.clock import Clock
from scaler.controller.view import ControllerView, RecordStore
from service.auth import Authenticator, Principal, Role
from service.errors import InvalidRequest

__all__ = [
    "NAME_PATTERN",
    "ClockDep",
    "Operator",
    "StoreDep",
    "TargetName",
    "TimeRange",
    "ViewDep",
    "Viewer",
    "time_range",
]

_SEGMENT = r"[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?"
NAME_PATTERN = rf"^{_SEGMENT}/{_SEGMENT}$"
OLDEST = datetime(1970, 1, 1, tzinfo=UTC)
NEWEST = datetime(2200, 1, 1, tzinfo=UTC)


class TargetConvertor(Convertor[str]):
    """``namespace/name``: exactly two non-empty segments."""

    regex = r"[^/]+/[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("target", TargetConvertor())

TargetName = Annotated[
    str,
    Path(
        description="The target, namespace/name (e.g. shop/checkout).",
        pattern=NAME_PATTERN,
        max_length=507,
        examples=["shop/checkout"],
    ),
]


def get_view(request: Request) -> ControllerView:
    view: ControllerView = request.app.state.view
    return view


def get_store(request: Request) -> RecordStore:
    store: RecordStore = request.app.state.store
    return store


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ViewDep = Annotated[ControllerView, Depends(get_view)]
StoreDep = Annotated[RecordStore, Depends(get_store)]
ClockDep = Annotated[Clock, Depends(get_clock)]

_bearer = HTTPBearer(
    auto_error=False,
    description="A viewer or operator token (api.viewer_tokens / api.operator_tokens).",
)


def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    auth: Authenticator = request.app.state.auth
    proxy = request.headers.get(auth.proxy_header) if auth.proxy_header else None
    principal = auth.identify(
        bearer=credentials.credentials if credentials else None, proxy_role=proxy
    )
    request.state.principal = principal
    return principal


def _needs(role: Role) -> Any:
    def check(request: Request, principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        auth: Authenticator = request.app.state.auth
        auth.authorize(principal, role)
        return principal

    return Depends(check)


Viewer = Annotated[Principal, _needs(Role.VIEWER)]
Operator = Annotated[Principal, _needs(Role.OPERATOR)]


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime
    end: datetime


def _bounded(value: datetime, name: str) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = OLDEST - timedelta(days=1)
    if not OLDEST <= utc <= NEWEST:
        raise InvalidRequest(f"{name} must be between 1970 and 2200 (UTC)", param=name)
    return utc


def time_range(*, default: timedelta, longest: timedelta) -> Any:
    """A dependency reading ``start``/``end`` (ISO 8601 with an offset; end defaults to now,
    start to ``default`` before end) and refusing ranges longer than ``longest``."""

    def parse(
        clock: ClockDep,
        start: Annotated[
            datetime | None,
            Query(
                description="Range start (inclusive), ISO 8601 with offset, e.g. 2026-01-01T00:00Z."
            ),
        ] = None,
        end: Annotated[
            datetime | None, Query(description="Range end (exclusive); default now.")
        ] = None,
    ) -> TimeRange:
        for name, value in (("start", start), ("end", end)):
            if value is not None and value.utcoffset() is None:
                raise InvalidRequest(
                    f"{name} needs a UTC offset, e.g. 2026-01-01T00:00:00Z", param=name
                )
        until = _bounded(end, "end") if end is not None else clock.now()
        since = _bounded(start, "start") if start is not None else until - default
        if since >= until:
            raise InvalidRequest("start must be before end", param="start")
        if until - since > longest:
            raise InvalidRequest(
                f"the range is longer than {longest.days} days; narrow it or page through it",
                param="start",
            )
        return TimeRange(since, until)

    return Depends(parse)
