"""Decisions of a target over a time range, with every plan step and its reason, paginated."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from forescale.service.deps import StoreDep, TargetName, TimeRange, ViewDep, Viewer, time_range
from forescale.service.errors import problems
from forescale.service.schemas import DecisionPage, Window

router = APIRouter(prefix="/v1/targets", tags=["decisions"])

MAX_PAGE = 500
DECISION_RANGE = time_range(default=timedelta(hours=24), longest=timedelta(days=31))


@router.get(
    "/{namespace}/{name}/decisions",
    operation_id="listDecisions",
    summary="Decisions in a time range, oldest first, each with its plan's steps and reasons",
    responses=problems(401, 403, 404, 422, 503),
)
def list_decisions(
    target: TargetName,
    view: ViewDep,
    store: StoreDep,
    _: Viewer,
    window: Annotated[TimeRange, DECISION_RANGE],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")] = 100,
    offset: Annotated[
        int, Query(ge=0, le=1_000_000, description="Skip this many (next_offset of a page).")
    ] = 0,
) -> DecisionPage:
    view.target(target)  # 404 for a name the controller does not know
    rows = store.decisions(
        target, start=window.start, end=window.end, limit=limit + 1, offset=offset
    )
    return DecisionPage.of(
        target, rows, window=Window(start=window.start, end=window.end), limit=limit, offset=offset
    )
