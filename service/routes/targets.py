"""Targets: their live state, a dry-run plan, and pausing (operator)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter

from forescale.service.deps import Operator, TargetName, ViewDep, Viewer, quantile_query
from forescale.service.errors import problems, user_input
from forescale.service.schemas import PlanOut, TargetOut

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/targets", tags=["targets"])


@router.get(
    "", operation_id="listTargets", summary="All targets", responses=problems(401, 403, 503)
)
def list_targets(view: ViewDep, _: Viewer) -> list[TargetOut]:
    return [TargetOut.of(t) for t in view.targets()]


@router.get(
    "/{namespace}/{name}",
    operation_id="getTarget",
    summary="One target: mode and why, floor, reactive recommendation, model and its accuracy",
    responses=problems(401, 403, 404, 422, 503),
)
def get_target(target: TargetName, view: ViewDep, _: Viewer) -> TargetOut:
    return TargetOut.of(view.target(target))


@router.get(
    "/{namespace}/{name}/plan",
    operation_id="getPlan",
    summary="Dry run: what the controller would decide now (writes nothing)",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def get_plan(
    target: TargetName,
    view: ViewDep,
    _: Viewer,
    quantile: Annotated[
        float | None,
        quantile_query("Size for this forecast quantile instead of the target's."),
    ] = None,
) -> PlanOut:
    with user_input("quantile"):
        plan = view.dry_run_plan(target, quantile=quantile)
    return PlanOut.of(plan)


@router.get(
    "/{namespace}/{name}/tuning",
    operation_id="getTuning",
    summary="Self-tuning: the setting in use, why, the expected cost and unserved load vs the HPA "
    "alone, the HPA's cost/unserved frontier and every candidate on the target's own history",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def get_tuning(target: TargetName, view: ViewDep, _: Viewer) -> dict[str, Any]:
    return view.tuning(target)


def _set_paused(name: str, paused: bool, view: ViewDep, who: str) -> TargetOut:
    status = view.set_paused(name, paused, by=who)
    log.info("target %s %s by %s", name, "paused" if paused else "resumed", who)
    return TargetOut.of(status)


@router.post(
    "/{namespace}/{name}/pause",
    operation_id="pauseTarget",
    summary="Release the target's floor and stop actuating it until resumed (operator)",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def pause_target(target: TargetName, view: ViewDep, who: Operator) -> TargetOut:
    return _set_paused(target, True, view, who.via)


@router.post(
    "/{namespace}/{name}/resume",
    operation_id="resumeTarget",
    summary="Resume actuating a paused target (operator)",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def resume_target(target: TargetName, view: ViewDep, who: Operator) -> TargetOut:
    return _set_paused(target, False, view, who.via)
