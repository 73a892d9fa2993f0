"""`HpaActuator`: raise an autoscaling/v2 HPA's ``spec.minReplicas`` to the planned floor.

The HPA stays the reactive scaler above the floor, so a spike the forecast missed is still
handled. Rules (the same as `scaler.actuators.memory.MemoryActuator`):

- the first write records the user's ``minReplicas`` in ``forescale.io/baseline-min-replicas``;
  `release` restores it and removes the annotation;
- the floor is clamped to ``[baseline, spec.maxReplicas]``;
- observe first, write only when the floor changes; every write is a merge patch carrying the
  observed ``resourceVersion``, so an edit made in between fails with 409 and the whole
  read-decide-write round is redone (bounded, then `ActuationConflict`).

Beyond the twin: ``forescale.io/applied-min-replicas`` records the floor we last wrote. If the
HPA's ``minReplicas`` no longer equals it, someone (a person, a GitOps sync) changed the floor
since, and their value becomes the baseline: Forescale must never "restore" a floor the user
has replaced.

Transient failures (429, 5xx, timeouts) are retried with bounded backoff (`RetryPolicy`), then
raised as `ActuationUnavailable`; 404 is `TargetNotFound`, 401/403 `AccessDenied` naming the
RBAC rule to add. Each change is recorded as a Kubernetes Event whose note carries the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from forescale.scaler.clock import Clock
from forescale.scaler.domain import ActuationResult, Capacity, HpaRef, TargetRef, TargetWrite
from forescale.scaler.errors import (
    AccessDenied,
    ActuationConflict,
    ActuationUnavailable,
    ConfigError,
    ScalerError,
    TargetNotFound,
)
from forescale.scaler.kube.client import HPA, KubeApi, KubeError, RequestRejected
from forescale.scaler.kube.events import EventRecorder
from forescale.scaler.kube.hpa_target import (
    BASELINE_TARGET_ANNOTATION,
    HpaTargetWriter,
    applied_utilization,
)
from forescale.scaler.kube.retry import RetryPolicy, with_retries

__all__ = ["APPLIED_ANNOTATION", "BASELINE_ANNOTATION", "HpaActuator"]

logger = logging.getLogger(__name__)
BASELINE_ANNOTATION = "forescale.io/baseline-min-replicas"
APPLIED_ANNOTATION = "forescale.io/applied-min-replicas"
Action = Literal["raise", "lower", "restore", "noop"]
_MARKS = {BASELINE_ANNOTATION, BASELINE_TARGET_ANNOTATION}
"""Either baseline annotation means Forescale holds something of the user's on the HPA."""
_EVENT_REASONS = {"raise": "FloorRaised", "lower": "FloorLowered", "restore": "FloorRestored"}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Observed:
    """One read of an HPA, with the baseline rule applied."""

    obj: dict[str, Any]
    min_replicas: int
    max_replicas: int
    current_replicas: int
    baseline: int
    managed: bool
    """Forescale has raised this HPA's floor and not yet released it."""

    @classmethod
    def of(cls, obj: dict[str, Any], ref: HpaRef) -> _Observed:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        min_replicas = int(spec.get("minReplicas", 1))  # the API's default
        recorded = _int_annotation(annotations, BASELINE_ANNOTATION, ref)
        applied = _int_annotation(annotations, APPLIED_ANNOTATION, ref)
        if recorded is None:
            baseline = min_replicas
        elif applied is not None and applied != min_replicas:
            logger.debug("%s: minReplicas edited by someone else; it is the baseline now", ref)
            baseline = min_replicas
        else:
            baseline = recorded
        return cls(
            obj=obj,
            min_replicas=min_replicas,
            max_replicas=int(spec["maxReplicas"]),
            # Before the HPA controller's first sync there is no status; the HPA guarantees at
            # least minReplicas, the best estimate available.
            current_replicas=int(status.get("currentReplicas", min_replicas)),
            baseline=baseline,
            managed=recorded is not None,
        )

    @property
    def resource_version(self) -> str:
        return str(self.obj["metadata"]["resourceVersion"])


def _int_annotation(annotations: dict[str, str], key: str, ref: HpaRef) -> int | None:
    raw = annotations.get(key)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        logger.warning("%s: ignoring annotation %s=%r (not an integer)", ref, key, raw)
        return None


@dataclass(frozen=True, slots=True)
class _Decision:
    action: Action
    floor: int
    annotations: dict[str, str | None]
    """Annotations to write; empty means nothing to write."""
    note: str | None = None
    """Result message instead of the caller's reason."""


class HpaActuator:
    """`scaler.actuators.base.Actuator` for `HpaRef` targets, over the Kubernetes API."""

    def __init__(
        self,
        api: KubeApi,
        *,
        clock: Clock,
        events: EventRecorder | None = None,
        policy: RetryPolicy | None = None,
        namespace: str | None = None,
    ) -> None:
        self._api = api
        self._clock = clock
        self._events = events
        self._policy = policy or RetryPolicy()
        self.namespace = namespace
        """Scope of `managed` (None: all namespaces), the same as the targets source's."""
        self._targets = HpaTargetWriter(
            api, clock=clock, translate=self._translate, events=events, policy=self._policy
        )

    def managed(self) -> list[TargetRef]:
        """HPAs carrying a baseline annotation (floor raised or metric target tuned, not
        released), in scope."""
        try:
            objects = with_retries(
                lambda: self._api.list(HPA, namespace=self.namespace),
                policy=self._policy,
                clock=self._clock,
            )
        except KubeError as err:
            raise self._translate(err, HpaRef(namespace=self.namespace or "*", name="*")) from None
        refs: list[TargetRef] = []
        for obj in objects:
            meta = obj.get("metadata") or {}
            if _MARKS & set(meta.get("annotations") or {}):
                refs.append(HpaRef(namespace=meta.get("namespace", "default"), name=meta["name"]))
        return refs

    def observe(self, ref: TargetRef) -> Capacity:
        hpa = self._hpa(ref)
        seen = self._read(hpa)
        return Capacity(
            current_replicas=seen.current_replicas,
            min_replicas=seen.min_replicas,
            max_replicas=seen.max_replicas,
            baseline_min_replicas=seen.baseline,
            tuned_target=applied_utilization(seen.obj),
            hpa_behavior=(seen.obj.get("spec") or {}).get("behavior"),
        )

    def apply_floor(
        self, ref: TargetRef, replicas: int, *, reason: str, dry_run: bool = False
    ) -> ActuationResult:
        def decide(seen: _Observed) -> _Decision:
            floor = max(seen.baseline, min(replicas, seen.max_replicas))
            if floor == seen.min_replicas:
                return _Decision("noop", floor, {})
            action: Action = "raise" if floor > seen.min_replicas else "lower"
            marks = {BASELINE_ANNOTATION: str(seen.baseline), APPLIED_ANNOTATION: str(floor)}
            return _Decision(action, floor, dict(marks))

        return self._converge(self._hpa(ref), decide, reason=reason, dry_run=dry_run)

    def set_target(
        self,
        ref: TargetRef,
        utilization: float | None,
        *,
        base: float,
        metric: str | None,
        reason: str,
        dry_run: bool = False,
    ) -> TargetWrite:
        """The tuned target on the HPA's metric (`scaler.kube.hpa_target`)."""
        return self._targets.set(self._hpa(ref), utilization, base=base, metric=metric,
                                 reason=reason, dry_run=dry_run)  # fmt: skip

    def release(self, ref: TargetRef, *, reason: str, dry_run: bool = False) -> ActuationResult:
        """The user's own floor and metric target back (the target first: the hotter HPA is
        the riskier of the two to leave behind)."""
        self._targets.restore(self._hpa(ref), reason=reason, dry_run=dry_run)

        def decide(seen: _Observed) -> _Decision:
            if not seen.managed:
                return _Decision("noop", seen.min_replicas, {}, note="nothing to restore")
            action: Action = "noop" if seen.baseline == seen.min_replicas else "restore"
            # Removing the annotations is a write even when the floor already matches.
            return _Decision(
                action, seen.baseline, {BASELINE_ANNOTATION: None, APPLIED_ANNOTATION: None}
            )

        return self._converge(self._hpa(ref), decide, reason=reason, dry_run=dry_run)

    # -- the read-decide-write round ----------------------------------------------------------
    def _converge(
        self,
        ref: HpaRef,
        decide: Callable[[_Observed], _Decision],
        *,
        reason: str,
        dry_run: bool,
    ) -> ActuationResult:
        for round_ in range(1, self._policy.conflict_attempts + 1):
            seen = self._read(ref)
            decision = decide(seen)
            result = ActuationResult(
                target=str(ref),
                action=decision.action,
                floor_before=seen.min_replicas,
                floor_after=decision.floor,
                dry_run=dry_run,
                message=decision.note or reason,
            )
            if dry_run or not decision.annotations:
                return result
            try:
                updated = self._write(ref, seen, decision)
            except KubeError as err:
                if err.status != 409:
                    raise self._translate(err, ref) from None
                logger.info("%s: changed under us (409), re-reading (round %d)", ref, round_)
                self._clock.sleep(0.01 * round_)
                continue
            logger.info(
                "%s: minReplicas %d -> %d (%s)", ref, seen.min_replicas, decision.floor, reason
            )
            self._record(updated, result)
            return result
        raise ActuationConflict(
            f"{ref}: the HPA kept changing under us; gave up after "
            f"{self._policy.conflict_attempts} read-modify-write rounds (will retry next cycle)"
        )

    def _read(self, ref: HpaRef) -> _Observed:
        try:
            obj = with_retries(
                lambda: self._api.get(HPA, namespace=ref.namespace, name=ref.name),
                policy=self._policy,
                clock=self._clock,
            )
        except KubeError as err:
            raise self._translate(err, ref) from None
        return _Observed.of(obj, ref)

    def _write(self, ref: HpaRef, seen: _Observed, decision: _Decision) -> dict[str, Any]:
        patch: dict[str, Any] = {
            "metadata": {
                "resourceVersion": seen.resource_version,  # optimistic concurrency: 409 if stale
                "annotations": decision.annotations,
            }
        }
        if decision.floor != seen.min_replicas:
            patch["spec"] = {"minReplicas": decision.floor}
        return with_retries(
            lambda: self._api.merge_patch(HPA, namespace=ref.namespace, name=ref.name, patch=patch),
            policy=self._policy,
            clock=self._clock,
        )

    def _record(self, hpa: dict[str, Any], result: ActuationResult) -> None:
        if self._events is None or result.action == "noop":
            return
        self._events.record(
            hpa,
            reason=_EVENT_REASONS[result.action],
            action="SetMinReplicas",
            note=f"minReplicas {result.floor_before} -> {result.floor_after}: {result.message}",
        )

    def _translate(self, err: KubeError, ref: HpaRef) -> ScalerError:
        if err.status == 404:
            return TargetNotFound(
                f"{ref}: HorizontalPodAutoscaler not found; create it, or fix spec.target.hpa "
                "of the PredictiveAutoscaler"
            )
        if err.status in (401, 403):
            return AccessDenied(f"{ref}: {err.describe()}; {err.rbac_hint}")
        if err.status == 409:
            return ActuationConflict(f"{ref}: {err.describe()}")
        if err.is_transient:
            return ActuationUnavailable(
                f"{ref}: Kubernetes API unavailable after {self._policy.attempts} attempt(s): "
                f"{err.describe()}",
                delay=err.retry_after if err.retry_after is not None else self._policy.max_delay,
            )
        return RequestRejected(f"{ref}: the API server refused the request: {err.describe()}")

    @staticmethod
    def _hpa(ref: TargetRef) -> HpaRef:
        if not isinstance(ref, HpaRef):
            raise ConfigError(f"{ref}: HpaActuator only scales HPA targets (target.hpa)")
        return ref
