"""Forecasts of a target (fresh from its model) and its accuracy over time (from the store)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from forescale.scaler.store.compare import pairs, summarize
from forescale.service.deps import (
    StoreDep,
    TargetName,
    TimeRange,
    ViewDep,
    Viewer,
    quantile_query,
    time_range,
)
from forescale.service.errors import problems, user_input
from forescale.service.history import all_decisions
from forescale.service.schemas import (
    AccuracyHistoryOut,
    AccuracyRecordOut,
    AccuracySummary,
    ForecastOut,
    PairOut,
)

router = APIRouter(prefix="/v1/targets", tags=["forecasts"])

MAX_HORIZON_STEPS = 2880
"""Two days of one-minute steps; further out the forecast is not used for scaling anyway."""
ISSUE_SLACK = timedelta(minutes=30)
ACCURACY_RANGE = time_range(default=timedelta(hours=24), longest=timedelta(days=7))


@router.get(
    "/{namespace}/{name}/forecast",
    operation_id="getForecast",
    summary="A fresh forecast: mean and quantile band per step, the model, its card and window",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def get_forecast(
    target: TargetName,
    view: ViewDep,
    _: Viewer,
    horizon_steps: Annotated[
        int, Query(ge=1, le=MAX_HORIZON_STEPS, description="How many steps ahead to forecast.")
    ] = 60,
    quantile: Annotated[
        float | None,
        quantile_query("Top of the band; default: the target's quantile."),
    ] = None,
) -> ForecastOut:
    status = view.target(target)
    with user_input("horizon_steps", "quantile"):
        forecast = view.forecast(target, horizon_steps=horizon_steps, quantile=quantile)
    promoted = next((m for m in view.models(target) if m.promoted), None)
    return ForecastOut.of(forecast, status=status, promoted=promoted)


@router.get(
    "/{namespace}/{name}/accuracy",
    operation_id="getAccuracy",
    summary="Accuracy over time: forecast vs actual, rolling error and under-forecast rate",
    responses=problems(401, 403, 404, 422, 503),
)
def get_accuracy(
    target: TargetName,
    view: ViewDep,
    store: StoreDep,
    _: Viewer,
    window: Annotated[TimeRange, ACCURACY_RANGE],
    horizon_seconds: Annotated[
        float | None,
        Query(
            ge=0,
            le=172800,
            description="Score forecasts issued this long before each actual (default: the "
            "target's lead time).",
        ),
    ] = None,
) -> AccuracyHistoryOut:
    status = view.target(target)
    seconds = status.lead_time_seconds if horizon_seconds is None else horizon_seconds
    horizon = timedelta(seconds=seconds)
    # Forecasts issued up to `horizon` (plus a slack for a missed cycle) before the range still
    # predict times inside it.
    issued = store.forecasts(target, start=window.start - horizon - ISSUE_SLACK, end=window.end)
    scored = pairs(issued, all_decisions(store, target, window), horizon=horizon)
    rolling = store.accuracy(target, start=window.start, end=window.end)
    return AccuracyHistoryOut(
        target=target,
        start=window.start,
        end=window.end,
        horizon_seconds=horizon.total_seconds(),
        rolling=[AccuracyRecordOut.of(a) for a in rolling],
        pairs=[PairOut.of(p) for p in scored],
        summary=AccuracySummary.of(summarize(scored)),
    )
