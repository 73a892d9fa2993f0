"""What the test API server serves: resource types, their validation, and API errors.

Built-in kinds are checked against the Kubernetes 1.32 OpenAPI schema (``kubernetes-validate
--strict``) plus the server-side rules Forescale can trip over (HPA bounds, Event fields);
the PredictiveAutoscaler against its CRD's own schema (`schema`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import kubernetes_validate

__all__ = [
    "CORE_EVENT",
    "EVENT",
    "HPA",
    "KUBERNETES_VERSION",
    "LEASE",
    "PREDICTIVE_AUTOSCALER",
    "RESOURCES",
    "ApiError",
    "ResourceType",
    "openapi_errors",
]

Obj = dict[str, Any]
KUBERNETES_VERSION = "1.32.0"


class ApiError(Exception):
    """An API failure, rendered as a ``Status`` object with the real server's wording."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: Obj | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details = details or {}
        self.headers = headers or {}

    def status(self) -> Obj:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    status_subresource: bool = False
    custom: bool = False
    microtime_fields: tuple[tuple[str, ...], ...] = ()
    validate: Callable[[Obj], list[str]] | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``horizontalpodautoscalers.autoscaling``: how the server names the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _validate_hpa(obj: Obj) -> list[str]:
    spec, problems = obj.get("spec") or {}, []
    max_r, min_r = spec.get("maxReplicas"), spec.get("minReplicas", 1)
    if not isinstance(max_r, int) or max_r < 1:
        problems.append(f"spec.maxReplicas: Invalid value: {max_r!r}: must be >= 1")
    if not isinstance(min_r, int) or min_r < 1:
        problems.append(f"spec.minReplicas: Invalid value: {min_r!r}: must be >= 1")
    elif isinstance(max_r, int) and min_r > max_r:
        problems.append(
            f"spec.maxReplicas: Invalid value: {max_r}: must be greater than or equal to "
            "`minReplicas`"
        )
    ref = spec.get("scaleTargetRef") or {}
    if not ref.get("kind") or not ref.get("name"):
        problems.append("spec.scaleTargetRef: Required value: kind and name")
    return problems


def _validate_event(obj: Obj) -> list[str]:
    problems = [
        f"{field}: Required value"
        for field in ("eventTime", "reportingController", "reportingInstance", "action", "reason")
        if not obj.get(field)
    ]
    for field in ("action", "reason", "reportingController", "reportingInstance"):
        if len(str(obj.get(field, ""))) > 128:
            problems.append(f"{field}: Too long: may not be longer than 128")
    if len(str(obj.get("note", "")).encode()) > 1024:
        problems.append("note: Too long: may not be longer than 1024")
    if obj.get("type") not in ("Normal", "Warning"):
        problems.append(f"type: Unsupported value: {obj.get('type')!r}: Normal, Warning")
    return problems


def _validate_core_event(obj: Obj) -> list[str]:
    involved = obj.get("involvedObject") or {}
    return [] if involved.get("name") else ["involvedObject.name: Required value"]


def _validate_lease(obj: Obj) -> list[str]:
    duration = (obj.get("spec") or {}).get("leaseDurationSeconds")
    if duration is not None and (not isinstance(duration, int) or duration <= 0):
        return [f"spec.leaseDurationSeconds: Invalid value: {duration!r}: must be > 0"]
    return []


HPA = ResourceType(
    group="autoscaling",
    version="v2",
    plural="horizontalpodautoscalers",
    kind="HorizontalPodAutoscaler",
    status_subresource=True,
    validate=_validate_hpa,
)
PREDICTIVE_AUTOSCALER = ResourceType(
    group="forescale.io",
    version="v1alpha1",
    plural="predictiveautoscalers",
    kind="PredictiveAutoscaler",
    status_subresource=True,
    custom=True,
)
LEASE = ResourceType(
    group="coordination.k8s.io",
    version="v1",
    plural="leases",
    kind="Lease",
    microtime_fields=(("spec", "acquireTime"), ("spec", "renewTime")),
    validate=_validate_lease,
)
EVENT = ResourceType(
    group="events.k8s.io",
    version="v1",
    plural="events",
    kind="Event",
    microtime_fields=(("eventTime",),),
    validate=_validate_event,
)
CORE_EVENT = ResourceType(
    group="", version="v1", plural="events", kind="Event", validate=_validate_core_event
)
RESOURCES = (HPA, PREDICTIVE_AUTOSCALER, LEASE, EVENT, CORE_EVENT)


def openapi_errors(obj: Obj) -> list[str]:
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [str(exc).splitlines()[0]]
    return []
