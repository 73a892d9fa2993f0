"""Request dependencies: the controller view, the store, the caller's role, validated parameters.

Everything the handlers need is on ``app.state`` (set by `service.app.create_app`), so tests build
the app with their own fakes and no global is read.

Target names are ``namespace/name`` (as the config loader builds them) and travel in the path as
two segments, ``/v1/targets/shop/checkout/forecast``. Two path parameters rather than one path
converter: a greedy converter makes ``shop/forecast`` (a target) and ``shop`` + ``/forecast`` (a
sub-resource) ambiguous, and clients would have to escape the slash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from forescale.scaler.clock import Clock
from forescale.scaler.controller.view import ControllerView, RecordStore
from forescale.service.auth import Authenticator, Principal, Role
from forescale.service.errors import InvalidRequest

__all__ = [
    "SEGMENT_PATTERN",
    "QUANTILE_MAX",
    "QUANTILE_MIN",
    "ClockDep",
    "Operator",
    "StoreDep",
    "TargetName",
    "TimeRange",
    "ViewDep",
    "Viewer",
    "quantile_query",
    "time_range",
]

SEGMENT_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$"
QUANTILE_MIN, QUANTILE_MAX = 0.5, 0.999
"""The quantiles a caller may ask for: the band's top is at least the median (below it the band
would be inverted against its 10th-percentile bottom) and at most p99.9 (beyond, a few weeks of
live errors cannot calibrate it). A denormal like 1e-320 is refused, never computed."""
OLDEST = datetime(1970, 1, 1, tzinfo=UTC)
NEWEST = datetime(2200, 1, 1, tzinfo=UTC)


def _segment(what: str, example: str) -> Any:
    return Path(
        description=f"The target's {what} (target names are namespace/name).",
        pattern=SEGMENT_PATTERN,
        max_length=253,
        examples=[example],
    )


def quantile_query(description: str) -> Any:
    """An optional ``quantile`` query parameter within [QUANTILE_MIN, QUANTILE_MAX]."""
    return Query(
        ge=QUANTILE_MIN,
        le=QUANTILE_MAX,
        description=f"{description} Between {QUANTILE_MIN} and {QUANTILE_MAX}.",
    )


async def target_name(
    namespace: Annotated[str, _segment("namespace", "shop")],
    name: Annotated[str, _segment("name", "checkout")],
) -> str:
    """``namespace/name`` from the two path segments."""
    return f"{namespace}/{name}"


TargetName = Annotated[str, Depends(target_name)]


# Every dependency here is a coroutine: a plain function dependency runs on the worker threads,
# where a probe would queue behind hanging reads (see routes/health.py), and each hop to a
# thread and back waits for the GIL, which a control cycle holds for up to the switch interval
# (5 ms): with six plain dependencies a read of /v1/targets made 16 hops, 55 req/s at
# concurrency 50 beside a running loop (issue 17 item 9). None of them does I/O or waits.
async def get_view(request: Request) -> ControllerView:
    view: ControllerView = request.app.state.view
    return view


async def get_store(request: Request) -> RecordStore:
    store: RecordStore = request.app.state.store
    return store


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ViewDep = Annotated[ControllerView, Depends(get_view)]
StoreDep = Annotated[RecordStore, Depends(get_store)]
ClockDep = Annotated[Clock, Depends(get_clock)]

_bearer = HTTPBearer(
    auto_error=False,
    description="A viewer or operator token (api.viewer_tokens / api.operator_tokens).",
)


async def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    auth: Authenticator = request.app.state.auth
    proxy = request.headers.get(auth.proxy_header) if auth.proxy_header else None
    return auth.identify(bearer=credentials.credentials if credentials else None, proxy_role=proxy)


def _needs(role: Role) -> Any:
    async def check(
        request: Request, principal: Annotated[Principal, Depends(_principal)]
    ) -> Principal:
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


def _instant(text: str, name: str) -> datetime:
    """A strict ISO 8601 time with an offset (no bare numbers, no naive local times)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"{name} is not an ISO 8601 time; use e.g. 2026-01-01T00:00:00Z", param=name
        ) from None
    if value.utcoffset() is None:
        raise InvalidRequest(f"{name} needs a UTC offset, e.g. 2026-01-01T00:00:00Z", param=name)
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

    async def parse(
        clock: ClockDep,
        start: Annotated[
            str | None,
            Query(
                description="Range start (inclusive), ISO 8601 with an offset, between 1970 and "
                "2200, e.g. 2026-01-01T00:00:00Z; default: a fixed span before end.",
                json_schema_extra={"format": "date-time"},
            ),
        ] = None,
        end: Annotated[
            str | None,
            Query(
                description="Range end (exclusive), like start; default: now.",
                json_schema_extra={"format": "date-time"},
            ),
        ] = None,
    ) -> TimeRange:
        until = _instant(end, "end") if end is not None else clock.now()
        since = _instant(start, "start") if start is not None else until - default
        if since >= until:
            raise InvalidRequest("start must be before end", param="start")
        if until - since > longest:
            raise InvalidRequest(
                f"the range is longer than {longest.days} days; narrow it or page through it",
                param="start",
            )
        return TimeRange(since, until)

    return Depends(parse)
