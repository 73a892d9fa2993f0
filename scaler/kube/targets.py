"""`KubeTargetSource`: PredictiveAutoscaler objects from the API, as domain `TargetSpec`s.

Each `poll` lists the objects (one namespace or all) and parses each with the same schema as the
YAML targets file (`scaler.config.parse_target`). A spec that does not parse never stops the
others: its message goes to the object's ``status`` (``lastError`` and a ``Ready=False``
condition with reason ``InvalidSpec``) and to a Warning Event, once per generation and message,
so a user sees it with ``kubectl get pa`` / ``kubectl describe pa``.

The poll also reports what the controller must clean up: objects that disappeared (``deleted``)
and objects whose target now names another HPA/ASG (``retargeted``), each with its last valid
spec, so the floor written on the old object can be released.
"""

from __future__ import annotations

import logging
from typing import Any

from forescale.scaler.clock import Clock
from forescale.scaler.config import parse_target
from forescale.scaler.controller.pauses import PAUSED, PAUSED_BY, annotated_pause
from forescale.scaler.controller.view import UnknownTarget
from forescale.scaler.domain import InvalidSpec, TargetName, TargetSpec, TargetsUpdate
from forescale.scaler.errors import AccessDenied, ConfigError, ScalerError, TemporaryError
from forescale.scaler.kube.client import PREDICTIVE_AUTOSCALER, KubeApi, KubeError, RequestRejected
from forescale.scaler.kube.events import EventRecorder
from forescale.scaler.kube.retry import RetryPolicy, with_retries

__all__ = ["KubeTargetSource", "TargetsUnavailable"]

logger = logging.getLogger(__name__)


class TargetsUnavailable(TemporaryError):
    """The Kubernetes API could not be asked for PredictiveAutoscalers this time."""


class KubeTargetSource:
    def __init__(
        self,
        api: KubeApi,
        *,
        clock: Clock,
        namespace: str | None = None,
        events: EventRecorder | None = None,
        policy: RetryPolicy | None = None,
        reports: bool = True,
    ) -> None:
        """``reports``: write invalid specs' status and Events (the controller does; a reader
        such as ``forescale train`` runs with list rights only and leaves that to it)."""
        self._reports = reports
        self._api = api
        self._clock = clock
        self.namespace = namespace
        self._events = events
        self._policy = policy or RetryPolicy()
        self._last_valid: dict[TargetName, TargetSpec] = {}
        self._reported: dict[TargetName, tuple[str, int, str]] = {}  # uid, generation, message
        self._generations: dict[TargetName, int] = {}
        """The newest ``metadata.generation`` seen per object: written as the status's
        ``observedGeneration`` so `kubectl` users and GitOps tools can tell whether the
        controller has acted on their latest edit (valid or refused)."""

    def poll(self) -> TargetsUpdate:
        """All PredictiveAutoscalers now, and what changed since the previous poll."""
        objects = self._list()
        valid: list[TargetSpec] = []
        invalid: list[InvalidSpec] = []
        retargeted: list[TargetSpec] = []
        seen: set[TargetName] = set()
        paused: set[TargetName] = set()
        for obj in objects:
            meta = obj.get("metadata") or {}
            name = TargetName(f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}")
            seen.add(name)
            if annotated_pause(obj):
                paused.add(name)
            self._generations[name] = int(meta.get("generation") or 0)
            try:
                spec = parse_target(obj, source="PredictiveAutoscaler").to_domain()
            except (ConfigError, ValueError) as exc:
                invalid.append(
                    InvalidSpec(name=name, message=str(exc), last_valid=self._last_valid.get(name))
                )
                if self._reports:
                    self._report_invalid(obj, name, str(exc))
                continue
            self._reported.pop(name, None)
            previous = self._last_valid.get(name)
            if previous is not None and previous.ref != spec.ref:
                retargeted.append(previous)
            self._last_valid[name] = spec
            valid.append(spec)
        deleted = [spec for name, spec in self._last_valid.items() if name not in seen]
        for spec in deleted:
            del self._last_valid[spec.name]
        for name in set(self._reported) - seen:
            del self._reported[name]
        for name in set(self._generations) - seen:
            del self._generations[name]
        return TargetsUpdate(
            targets=tuple(valid),
            invalid=tuple(invalid),
            deleted=tuple(deleted),
            retargeted=tuple(retargeted),
            paused=frozenset(paused),
        )

    def set_paused(self, name: TargetName, paused: bool, *, by: str) -> None:
        """Pause or resume by the object's annotation, which every replica's poll reads (and
        ``kubectl annotate pa NAME forescale.io/paused=true`` sets just the same)."""
        annotations = {PAUSED: "true", PAUSED_BY: by[:253]} if paused else {
            PAUSED: None, PAUSED_BY: None}  # fmt: skip
        if not self._patch(name, {"metadata": {"annotations": annotations}}):
            raise UnknownTarget(f"{name}: its PredictiveAutoscaler was deleted")

    def write_status(self, name: TargetName, status: dict[str, Any]) -> bool:
        """Merge ``status`` into the object's status subresource; ``False`` if it is gone.

        A merge patch: keys absent from ``status`` are kept, ``None`` removes a key, and a list
        (``conditions``) is replaced whole, so send every condition each time."""
        if name in self._generations:
            status = {"observedGeneration": self._generations[name], **status}
        if not self._patch(name, {"status": status}, status=True):
            logger.debug("%s: deleted before its status could be written", name)
            return False
        return True

    # -- internals ----------------------------------------------------------------------------
    def _patch(self, name: TargetName, patch: dict[str, Any], *, status: bool = False) -> bool:
        """A merge patch to the object (or its status), retried; ``False`` if it is gone."""
        namespace, _, short = name.partition("/")
        try:
            with_retries(
                lambda: self._api.merge_patch(
                    PREDICTIVE_AUTOSCALER,
                    namespace=namespace,
                    name=short,
                    patch=patch,
                    status=status,
                ),  # fmt: skip
                policy=self._policy,
                clock=self._clock,
            )
        except KubeError as err:
            if err.status == 404:
                return False
            raise self._translate(err) from None
        return True

    def _list(self) -> list[dict[str, Any]]:
        try:
            return with_retries(
                lambda: self._api.list(PREDICTIVE_AUTOSCALER, namespace=self.namespace),
                policy=self._policy,
                clock=self._clock,
            )
        except KubeError as err:
            if err.status == 404:
                raise ConfigError(
                    "the PredictiveAutoscaler CRD is not installed in this cluster: "
                    "kubectl apply -f the CRD (scaler/kube/crd.yaml) or install the Helm chart"
                ) from None
            raise self._translate(err) from None

    def _report_invalid(self, obj: dict[str, Any], name: TargetName, message: str) -> None:
        meta = obj.get("metadata") or {}
        generation = int(meta.get("generation") or 0)
        key = (str(meta.get("uid", "")), generation, message)
        if self._reported.get(name) == key:
            return  # already told the user about this very problem
        logger.warning("%s: invalid spec: %s", name, message)
        now = self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        status = {
            "observedGeneration": generation,
            "lastError": message,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "InvalidSpec",
                    "message": message,
                    "lastTransitionTime": now,
                    "observedGeneration": generation,
                }
            ],
        }
        try:
            self.write_status(name, status)
        except ScalerError as err:
            logger.warning("%s: could not write the invalid-spec status: %s", name, err)
            return  # try again next poll
        if self._events is not None:
            self._events.record(
                obj, reason="InvalidSpec", action="ValidateSpec", note=message, type="Warning"
            )
        self._reported[name] = key

    def _translate(self, err: KubeError) -> ScalerError:
        if err.status in (401, 403):
            return AccessDenied(f"{err}; {err.rbac_hint}")
        if err.is_transient:
            return TargetsUnavailable(str(err), delay=err.retry_after or self._policy.max_delay)
        return RequestRejected(f"the API server refused the request: {err}")
