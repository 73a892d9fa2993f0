"""A target's models: list, card, retrain and promote (operator)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path

from scaler.errors import ModelNotFound
from service.deps import Operator, TargetName, ViewDep, Viewer
from service.errors import problems
from service.schemas import ModelOut

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
    "/{name:target}/models",
    operation_id="listModels",
    summary="The target's model versions, newest last; one is promoted (in use)",
    responses=problems(401, 403, 404, 422, 503),
)
def list_models(name: TargetName, view: ViewDep, _: Viewer) -> list[ModelOut]:
    return [ModelOut.of(m) for m in view.models(name)]


@router.get(
    "/{name:target}/models/{version}",
    operation_id="getModel",
    summary="One model version and its card",
    responses=problems(401, 403, 404, 422, 503),
)
def get_model(name: TargetName, version: Version, view: ViewDep, _: Viewer) -> ModelOut:
    for model in view.models(name):
        if model.version == version:
            return ModelOut.of(model)
    raise ModelNotFound(f"target {name} has no model version {version}")


@router.post(
    "/{name:target}/retrain",
    operation_id="retrainModel",
    summary="Refit the target's model now (operator); returns the new version",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def retrain(name: TargetName, view: ViewDep, who: Operator) -> ModelOut:
    model = view.retrain(name)
    log.info("target %s retrained by %s: version %s", name, who.via, model.version)
    return ModelOut.of(model)


@router.post(
    "/{name:target}/models/{version}/promote",
    operation_id="promoteModel",
    summary="Use this model version for the target from now on (operator)",
    responses=problems(401, 403, 404, 409, 422, 503),
)
def promote(name: TargetName, version: Version, view: ViewDep, who: Operator) -> ModelOut:
    model = view.promote(name, version)
    log.info("target %s: model %s promoted by %s", name, version, who.via)
    return ModelOut.of(model)
