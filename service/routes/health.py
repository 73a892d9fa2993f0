"""Probes: ``/livez`` (the process serves HTTP) and ``/readyz`` (targets and models loaded).

Both are open (kubelets send no credentials) and answer small JSON bodies.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from forescale.service.deps import ViewDep

router = APIRouter(tags=["health"])


@router.get("/livez", operation_id="livez", summary="Liveness")
def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Readiness: 503 until the controller has loaded its targets and models",
    responses={503: {"description": "Not ready yet"}},
)
def readyz(view: ViewDep) -> JSONResponse:
    if view.ready:
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "not ready"}, status_code=503, headers={"Retry-After": "5"})
