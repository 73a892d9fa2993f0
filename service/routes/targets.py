"""Targets: their live state, a dry-run plan, and pausing (operator)."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import TypeAdapter

from forescale.scaler.controller.view import TargetStatus
from forescale.service.deps import Operator, TargetName, ViewDep, Viewer, quantile_query
from forescale.service.errors import problems, user_input
from forescale.service.schemas import PlanOut, TargetOut

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/targets", tags=["targets"])


class _RenderedTargets:
    """The JSON of ``/v1/targets``, each target rendered once per status snapshot.

    Statuses are frozen snapshots replaced whole when a cycle changes one, so the same object
    means the same JSON: a request re-renders only the targets whose status was replaced since
    the last one (building 100 response models per request was two thirds of its cost, and
    during a cycle the statuses change one by one). The bytes are what FastAPI renders for the
    same models (`TypeAdapter.dump_json`, by alias), joined as the list's JSON."""

    _ADAPTER = TypeAdapter(TargetOut)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: dict[str, tuple[TargetStatus, bytes]] = {}

    def body(self, statuses: list[TargetStatus]) -> bytes:
        with self._lock:
            known = dict(self._parts)
        parts = {}
        for status in statuses:
            held = known.get(status.name)
            if held is None or held[0] is not status:  # holding it: its id is not reused
                held = (status, self._ADAPTER.dump_json(TargetOut.of(status), by_alias=True))
            parts[status.name] = held
        with self._lock:
            self._parts = parts  # targets gone are forgotten
        return b"[" + b",".join(part for _, part in parts.values()) + b"]"


_rendered = _RenderedTargets()


@router.get(
    "",
    operation_id="listTargets",
    summary="All targets",
    responses=problems(401, 403, 503),
    response_model=list[TargetOut],
)
async def list_targets(view: ViewDep, _: Viewer) -> Response:
    # A coroutine: the statuses are snapshots (never a wait for the cycle), so no worker thread.
    return Response(_rendered.body(view.targets()), media_type="application/json")


@router.get(
    "/{namespace}/{name}",
    operation_id="getTarget",
    summary="One target: mode and why, floor, reactive recommendation, model and its accuracy",
    responses=problems(401, 403, 404, 422, 503),
)
async def get_target(target: TargetName, view: ViewDep, _: Viewer) -> TargetOut:
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
