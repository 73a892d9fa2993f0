"""Server-rendered pages for people: an index of targets and one chart page per target.

No build step and no network: Jinja2 templates with inline SVG computed in `chart`, inline CSS,
no JavaScript. A strict Content-Security-Policy forbids anything else. The page reads the same
view and store as the API, with the same viewer role.

A target whose last cycle failed (its ``last_error``: a failed read, a refused write, no
credentials) is marked ``failing`` with the error wherever it is listed, not only in the JSON:
its mode alone ("reactive") would read as a quiet, healthy fallback. The index reloads itself
every `REFRESH_SECONDS` (a ``<meta>`` refresh: no script needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from forescale.scaler.controller.view import TargetStatus
from forescale.scaler.errors import NotTunedYet
from forescale.scaler.records import DecisionRecord, ForecastRecord
from forescale.scaler.store.compare import pairs
from forescale.service.deps import ClockDep, StoreDep, TargetName, TimeRange, ViewDep, Viewer
from forescale.service.errors import problems
from forescale.service.history import all_decisions
from forescale.service.pages.chart import BAND, FLOOR, LOAD, MEAN, REACTIVE, ChartData, build_chart
from forescale.service.pages.frontier import build_frontier

__all__ = ["router"]

router = APIRouter(tags=["pages"])

_env = Environment(
    loader=PackageLoader("forescale.service", "pages"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
COLOURS = {"band": BAND, "mean": MEAN, "load": LOAD, "floor": FLOOR, "reactive": REACTIVE}
RANGES = (1, 6, 24, 72, 168)
REFRESH_SECONDS = 30
"""The index page reloads this often (a cycle is a minute; a wall screen stays current)."""
RECENT = 15
ISSUE_SLACK = timedelta(minutes=30)


def _html(template: str, **context: Any) -> HTMLResponse:
    body = _env.get_template(template).render(colours=COLOURS, reactive_label=reactive_label,
                                              **context)  # fmt: skip
    return HTMLResponse(body, headers={"Content-Security-Policy": _CSP})


@router.get(
    "/",
    operation_id="indexPage",
    summary="HTML: every target with its mode, floor and reactive recommendation",
    response_class=HTMLResponse,
    responses=problems(401, 403, 503),
)
def index_page(view: ViewDep, _: Viewer) -> HTMLResponse:
    targets = sorted(view.targets(), key=lambda t: t.name)
    failing = sum(t.last_error is not None for t in targets)
    return _html("index.html", targets=targets, failing=failing, refresh=REFRESH_SECONDS)


@router.get(
    "/targets/{namespace}/{name}",
    operation_id="targetPage",
    summary="HTML: load, forecast band, floor and reactive recommendation over time",
    response_class=HTMLResponse,
    responses=problems(401, 403, 404, 422, 503),
)
def target_page(
    target: TargetName,
    view: ViewDep,
    store: StoreDep,
    clock: ClockDep,
    _: Viewer,
    hours: Annotated[int, Query(ge=1, le=168, description="How far back to show.")] = 6,
) -> HTMLResponse:
    status = view.target(target)
    now = clock.now()
    window = TimeRange(now - timedelta(hours=hours), now)
    decisions = list(all_decisions(store, target, window))
    lead = timedelta(seconds=status.lead_time_seconds)
    issued = store.forecasts(target, start=window.start - lead - ISSUE_SLACK, end=now)
    data = chart_data(status, decisions, issued, window=window, now=now)
    has_data = bool(decisions or issued)
    try:
        frontier = build_frontier(view.tuning(target))
    except NotTunedYet:
        frontier = None
    return _html(
        "target.html",
        target=status,
        hours=hours,
        ranges=RANGES,
        chart=build_chart(data) if has_data else None,
        frontier=frontier,
        decisions=list(reversed(decisions[-RECENT:])),
        latest=issued[-1] if issued else None,
        now=now,
    )


def reactive_label(ref: str) -> str:
    """What ``reactive`` is for this kind of object: the HPA's own recommendation, or an Auto
    Scaling group's (the same formula on the load, standing in for its target tracking)."""
    return "reactive (the group's own scaling)" if ref.startswith("asg/") else "reactive (HPA)"


def chart_data(
    status: TargetStatus,
    decisions: Sequence[DecisionRecord],
    issued: Sequence[ForecastRecord],
    *,
    window: TimeRange,
    now: datetime,
) -> ChartData:
    """The series to draw: history from decisions; for each past moment, the newest forecast
    issued before it that sized a band there (what the floor was planned on); the latest
    forecast ahead of now. Where a forecast has no lower bound, the band starts at the mean."""
    del status  # the page shows the target's settings; the series come from records alone
    past = pairs(issued, decisions, horizon=timedelta(0), banded=True)
    future = [p for p in (issued[-1].points if issued else ()) if p.at > now]
    band = [(p.at, p.lower if p.lower is not None else p.mean, p.upper) for p in past]
    band += [(p.at, p.lower if p.lower is not None else p.mean, p.upper) for p in future]
    end = max([now, *(p.at for p in future)])
    first = min([d.at for d in decisions] + [f.issued_at for f in issued], default=window.start)
    return ChartData(
        start=max(window.start, first),
        end=end,
        now=now,
        load=[(d.at, d.load) for d in decisions],
        mean=[(p.at, p.mean) for p in past] + [(p.at, p.mean) for p in future],
        band=band,
        floor=[(d.at, None if d.floor is None else float(d.floor)) for d in decisions],
        reactive=[(d.at, float(d.reactive)) for d in decisions],
    )
