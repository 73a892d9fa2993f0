"""The OpenAPI schema: stable operationIds, documented errors, auth and parameter rules."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

OPERATIONS = {
    ("get", "/livez"): "livez",
    ("get", "/readyz"): "readyz",
    ("get", "/v1/targets"): "listTargets",
    ("get", "/v1/targets/{namespace}/{name}"): "getTarget",
    ("get", "/v1/targets/{namespace}/{name}/plan"): "getPlan",
    ("get", "/v1/targets/{namespace}/{name}/tuning"): "getTuning",
    ("post", "/v1/targets/{namespace}/{name}/pause"): "pauseTarget",
    ("post", "/v1/targets/{namespace}/{name}/resume"): "resumeTarget",
    ("get", "/v1/targets/{namespace}/{name}/forecast"): "getForecast",
    ("get", "/v1/targets/{namespace}/{name}/accuracy"): "getAccuracy",
    ("get", "/v1/targets/{namespace}/{name}/decisions"): "listDecisions",
    ("get", "/v1/targets/{namespace}/{name}/models"): "listModels",
    ("get", "/v1/targets/{namespace}/{name}/models/{version}"): "getModel",
    ("post", "/v1/targets/{namespace}/{name}/retrain"): "retrainModel",
    ("post", "/v1/targets/{namespace}/{name}/models/{version}/promote"): "promoteModel",
    ("get", "/"): "indexPage",
    ("get", "/targets/{namespace}/{name}"): "targetPage",
}


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/openapi.json").json()
    return body


def operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_every_route_has_its_stable_operation_id(schema: dict[str, Any]) -> None:
    got = {key: op["operationId"] for key, op in operations(schema).items()}
    assert got == OPERATIONS


def test_errors_are_documented_as_problem_json(schema: dict[str, Any]) -> None:
    for key, operation in operations(schema).items():
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")) and "content" in response:
                assert list(response["content"]) == ["application/problem+json"], (key, code)


def test_every_read_and_write_declares_bearer_auth(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for (method, path), operation in operations(schema).items():
        if path not in ("/livez", "/readyz"):
            assert operation.get("security") == [{"HTTPBearer": []}], (method, path)
            assert "401" in operation["responses"], (method, path)


def test_writes_document_403_and_both_parts_of_target_names_document_their_pattern(
    schema: dict[str, Any],
) -> None:
    for (method, _), operation in operations(schema).items():
        if method == "post":
            assert "403" in operation["responses"]
        for parameter in operation.get("parameters", []):
            if parameter["name"] in ("namespace", "name"):
                assert parameter["schema"]["pattern"].startswith("^[A-Za-z0-9]")
