"""Probes: ``/livez`` (the process serves HTTP) and ``/readyz`` (targets and models loaded).

Both are open (kubelets send no credentials) and answer small JSON bodies. Both are coroutines
served on the event loop itself, never on the worker threads the other routes share: when reads
hang (a locked table, a slow store), 40 of them fill that pool, and a probe queued behind them
timed out and got a healthy pod restarted. Nothing they do blocks: ``view.ready`` is a flag and
``view.targets()`` copies status snapshots under a lock held only for a dict.

What ready means when targets fail: ``/readyz`` stays 200 once the controller has loaded its
targets, even when every target's cycles fail. A failing target fails on something outside the
pod (no AWS credentials, Prometheus down, RBAC): restarting the pod or taking it out of the
Service fixes none of it, and would hide the API and pages that say what is wrong. The body
counts them (``{"status": "ready", "targets": 3, "failing": 3}``); the pages mark each one
failing with its error, and the chart's ``ForescaleCycleFailing`` and
``ForescaleActuationFailing`` alerts page on them.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from forescale.service.deps import ViewDep

router = APIRouter(tags=["health"])


@router.get("/livez", operation_id="livez", summary="Liveness")
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Readiness: 503 until the controller has loaded its targets and models",
    description="Stays ready while targets fail (their count is in the body): a failing target "
    "is an outside problem a restart does not fix.",
    responses={503: {"description": "Not ready yet"}},
)
async def readyz(view: ViewDep) -> JSONResponse:
    if view.ready:
        targets = view.targets()
        failing = sum(t.last_error is not None for t in targets)
        return JSONResponse({"status": "ready", "targets": len(targets), "failing": failing})
    return JSONResponse({"status": "not ready"}, status_code=503, headers={"Retry-After": "5"})
