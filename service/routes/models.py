"""A target's models: list, card, retrain and promote (operator)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path

from forescale.scaler.errors import ModelNotFound
from forescale.service.deps import Operator, TargetName, ViewDep, Viewer
from forescale.service.errors import problems
from forescale.service.schemas import ModelOut

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/targets", tags=["models"])

Version = Annotated[
    str,
    Path(
        description="A model version as listed by listModels.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$",
    ),
]


@router.get(
    "/{namespace}/{name}/models",
    operation_id="listModels",
    summary="The target's model versions, newest last; one is promoted (in use)",
    responses=problems(401, 403, 404, 422, 503),
)
def list_models(target: TargetName, view: ViewDep, _: Viewer) -> list[ModelOut]:
    return [ModelOut.of(m) for m in view.models(target)]


@router.get(
    "/{namespace}/{name}/models/{version}",
    operation_id="getModel",
    summary="One model version and its card",
    responses=problems(401, 403, 404, 422, 503),
)
def get_model(target: TargetName, version: Version, view: ViewDep, _: Viewer) -> ModelOut:
    for model in view.models(target):
        if model.version == version:
            return ModelOut.of(model)
    raise ModelNotFound(f"target {target} has no model version {version}")


@router.post(
    "/{namespace}/{name}/retrain",
    operation_id="retrainModel",
    summary="Refit the target's model now (operator); returns the new version",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def retrain(target: TargetName, view: ViewDep, who: Operator) -> ModelOut:
    model = view.retrain(target)
    log.info("target %s retrained by %s: version %s", target, who.via, model.version)
    return ModelOut.of(model)


@router.post(
    "/{namespace}/{name}/models/{version}/promote",
    operation_id="promoteModel",
    summary="Use this model version for the target from now on (operator)",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def promote(target: TargetName, version: Version, view: ViewDep, who: Operator) -> ModelOut:
    model = view.promote(target, version)
    log.info("target %s: model %s promoted by %s", target, version, who.via)
    return ModelOut.of(model)
