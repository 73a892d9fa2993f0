"""The object store behind the test API server, with the API server's write semantics.

What a real kube-apiserver does and this store reproduces, because Forescale's correctness
depends on it:

- every write bumps a cluster-wide ``resourceVersion``; an update or patch that carries a stale
  ``metadata.resourceVersion`` fails with 409 Conflict (optimistic concurrency);
- ``uid``, ``creationTimestamp`` and ``generation`` are server-owned; ``generation`` increases
  when ``spec`` changes;
- with a ``status`` subresource, writes to the object ignore ``status`` and writes to ``/status``
  ignore everything else; ``create`` drops ``status``;
- ``MicroTime`` fields (Lease times, ``eventTime``) must have exactly six fractional digits, as
  Go's ``RFC3339Micro`` layout demands (a real server answers 400 otherwise);
- objects are validated (422 Invalid): built-in kinds against the Kubernetes 1.32 OpenAPI schema
  (``kubernetes-validate --strict``) plus the server-side rules Forescale can trip over, the
  PredictiveAutoscaler against the CRD's own schema (pruning unknown fields unless Strict);
- custom resources refuse strategic-merge patch (415) and unconditional PUT (422).
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.integration.kube import schema
from tests.integration.kube.patches import PatchError, apply_json_patch, merge_patch
from tests.integration.kube.resources import ApiError, ResourceType, openapi_errors

__all__ = ["Store"]

Obj = dict[str, Any]
_MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """Objects per (resource, namespace, name); one lock makes each request atomic."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._objects: dict[tuple[ResourceType, str, str], Obj] = {}
        self._versions = itertools.count(1000)
        self._version = 1000

    def reset(self) -> None:
        with self._lock:
            self._objects.clear()

    # -- reads --------------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        with self._lock:
            return copy.deepcopy(self._existing(rt, namespace, name))

    def list(
        self, rt: ResourceType, namespace: str | None, *, labels: dict[str, str] | None = None
    ) -> tuple[list[Obj], str]:
        with self._lock:
            items = [
                copy.deepcopy(obj)
                for (t, ns, _), obj in sorted(self._objects.items(), key=lambda kv: kv[0][1:])
                if t == rt and namespace in (None, ns) and _has_labels(obj, labels or {})
            ]
            return items, str(self._version)

    # -- writes -------------------------------------------------------------------------------
    def create(self, rt: ResourceType, namespace: str, body: Obj, *, strict: bool = False) -> Obj:
        with self._lock:
            obj = copy.deepcopy(body)
            meta = obj.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:5]}"
            name = meta.get("name", "")
            if meta.get("namespace", namespace) != namespace:
                raise _bad_request("the namespace of the object does not match the request")
            key = (rt, namespace, name)
            if key in self._objects:
                raise ApiError(
                    409,
                    "AlreadyExists",
                    f'{rt.qualified} "{name}" already exists',
                    details=_details(rt, name),
                )
            if rt.status_subresource:
                obj.pop("status", None)
            meta.pop("resourceVersion", None)
            meta.update(
                namespace=namespace,
                uid=str(uuid.uuid4()),
                creationTimestamp=_now(),
                generation=1,
            )
            return self._store(rt, key, obj, strict=strict)

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Obj,
        *,
        subresource: str | None = None,
        strict: bool = False,
    ) -> Obj:
        with self._lock:
            current = self._existing(rt, namespace, name)
            sent = (body.get("metadata") or {}).get("resourceVersion")
            if sent is None and rt.custom:
                raise _invalid(
                    rt, name, ["metadata.resourceVersion: must be specified for an update"]
                )
            if (body.get("metadata") or {}).get("name", name) != name:
                raise _bad_request("the name of the object does not match the name on the URL")
            return self._write(rt, current, copy.deepcopy(body), subresource, strict=strict)

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        patch: Any,
        *,
        content_type: str,
        subresource: str | None = None,
        strict: bool = False,
    ) -> Obj:
        with self._lock:
            current = self._existing(rt, namespace, name)
            try:
                if content_type == "application/json-patch+json":
                    patched = apply_json_patch(current, patch)
                elif content_type == "application/merge-patch+json" or (
                    content_type == "application/strategic-merge-patch+json" and not rt.custom
                ):
                    patched = merge_patch(current, patch)
                else:
                    raise ApiError(
                        415,
                        "UnsupportedMediaType",
                        f"the body of the request was in an unknown format - accepted media "
                        f"types include: application/json-patch+json, "
                        f"application/merge-patch+json (got {content_type})",
                    )
            except PatchError as exc:
                raise ApiError(422, "Invalid", f"the patch does not apply: {exc}") from None
            return self._write(rt, current, patched, subresource, strict=strict)

    def delete(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        with self._lock:
            obj = self._existing(rt, namespace, name)
            del self._objects[(rt, namespace, name)]
            self._version = next(self._versions)
            return copy.deepcopy(obj)

    # -- internals ----------------------------------------------------------------------------
    def _existing(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        try:
            return self._objects[(rt, namespace, name)]
        except KeyError:
            raise ApiError(
                404, "NotFound", f'{rt.qualified} "{name}" not found', details=_details(rt, name)
            ) from None

    def _write(
        self, rt: ResourceType, current: Obj, new: Obj, subresource: str | None, *, strict: bool
    ) -> Obj:
        meta, old_meta = new.setdefault("metadata", {}), current["metadata"]
        name = old_meta["name"]
        sent = meta.get("resourceVersion")
        if sent is not None and sent != old_meta["resourceVersion"]:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {rt.qualified} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
                details=_details(rt, name),
            )
        if subresource == "status":
            result = copy.deepcopy(current)
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
        else:
            result = new
            if rt.status_subresource:
                result.pop("status", None)
                if "status" in current:
                    result["status"] = copy.deepcopy(current["status"])
            result["metadata"] = {
                **meta,
                **{k: old_meta[k] for k in ("name", "namespace", "uid", "creationTimestamp")},
                "generation": old_meta["generation"] + (new.get("spec") != current.get("spec")),
            }
        return self._store(rt, (rt, old_meta["namespace"], name), result, strict=strict)

    def _store(
        self, rt: ResourceType, key: tuple[ResourceType, str, str], obj: Obj, *, strict: bool
    ) -> Obj:
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        for field in ("labels", "annotations"):  # Go's omitempty: an emptied map disappears
            if obj["metadata"].get(field) == {}:
                del obj["metadata"][field]
        self._check(rt, key[2], obj, strict=strict)
        if rt.custom:
            obj = schema.prune(obj)
        self._version = next(self._versions)
        obj["metadata"]["resourceVersion"] = str(self._version)
        self._objects[key] = obj
        return copy.deepcopy(obj)

    def _check(self, rt: ResourceType, name: str, obj: Obj, *, strict: bool) -> None:
        if not _NAME.match(name) or len(name) > 253:
            raise _invalid(
                rt, name, [f"metadata.name: Invalid value: {name!r}: a DNS-1123 subdomain"]
            )
        for path in rt.microtime_fields:
            value: Any = obj
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None and not (isinstance(value, str) and _MICRO.match(value)):
                raise _bad_request(
                    f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                    f'parsing time "{value}" as "2006-01-02T15:04:05.000000Z07:00": '
                    f"{'.'.join(path)} needs exactly six fractional digits"
                )
        meta = obj["metadata"]
        problems = [
            f"metadata.{field}: values must be strings"
            for field in ("labels", "annotations")
            if not all(isinstance(v, str) for v in (meta.get(field) or {}).values())
        ]
        if rt.validate is not None:
            problems += rt.validate(obj)
        if rt.custom:
            problems += schema.crd_errors(obj, strict=strict)
        else:
            problems += openapi_errors(obj)
        if problems:
            raise _invalid(rt, name, problems)


def _has_labels(obj: Obj, wanted: dict[str, str]) -> bool:
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def _details(rt: ResourceType, name: str) -> Obj:
    return {"name": name, "group": rt.group, "kind": rt.plural}


def _bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def _invalid(rt: ResourceType, name: str, problems: list[str]) -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f'{rt.kind}.{rt.group or "core"} "{name}" is invalid: {", ".join(problems)}',
        details={**_details(rt, name), "causes": [{"message": p} for p in problems]},
    )
