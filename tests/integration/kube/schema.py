"""Validate custom resources against a CRD's structural schema, as the API server does.

A structural ``openAPIV3Schema`` is (almost) JSON Schema draft 4: ``exclusiveMinimum`` is the
boolean form, ``x-kubernetes-*`` keys are extensions a JSON Schema validator ignores. The API
server adds two behaviours we reproduce here:

- pruning: fields the schema does not declare are dropped (unless the node has
  ``x-kubernetes-preserve-unknown-fields``), or refused with ``fieldValidation=Strict`` (kubectl's
  default since 1.27);
- ``metadata``, ``apiVersion`` and ``kind`` at the root are the server's business, not the schema's.

Not reproduced: CEL ``x-kubernetes-validations`` rules (no CEL evaluator is installed here) and
``default`` values.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import yaml

__all__ = ["crd_document", "crd_errors", "crd_schema", "prune"]

_ROOT_KEYS = {"apiVersion", "kind", "metadata"}


@cache
def crd_document() -> dict[str, Any]:
    """The PredictiveAutoscaler CRD shipped as package data in `scaler.kube`."""
    text = resources.files("forescale.scaler.kube").joinpath("crd.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def crd_schema(version: str = "v1alpha1") -> dict[str, Any]:
    versions = crd_document()["spec"]["versions"]
    for entry in versions:
        if entry["name"] == version:
            schema = entry["schema"]["openAPIV3Schema"]
            assert isinstance(schema, dict)
            return schema
    raise KeyError(f"CRD has no version {version!r}")


def _strict(schema: Any) -> Any:
    """A copy of ``schema`` in which undeclared fields are errors (``additionalProperties``)."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@cache
def _validator(strict: bool) -> jsonschema.Draft4Validator:
    schema = copy.deepcopy(crd_schema())
    schema["properties"] = {k: v for k, v in schema["properties"].items() if k not in _ROOT_KEYS}
    if strict:
        schema = _strict(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def crd_errors(obj: dict[str, Any], *, strict: bool = False) -> list[str]:
    """Schema violations of ``obj`` as ``field.path: message`` lines (empty when valid)."""
    body = {k: v for k, v in obj.items() if k not in _ROOT_KEYS}
    errors = sorted(_validator(strict).iter_errors(body), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]


def prune(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without the fields the CRD schema does not declare (root keys are kept)."""
    props = crd_schema()["properties"]
    return {
        k: v if k in _ROOT_KEYS else _prune(v, props[k])
        for k, v in obj.items()
        if k in _ROOT_KEYS or k in props
    }


def _prune(value: Any, schema: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_prune(v, schema.get("items", {})) for v in value]
    if not isinstance(value, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return value
    props = schema.get("properties")
    if props is None:
        extra = schema.get("additionalProperties")
        return {k: _prune(v, extra) for k, v in value.items()} if isinstance(extra, dict) else value
    return {k: _prune(v, props[k]) for k, v in value.items() if k in props}
