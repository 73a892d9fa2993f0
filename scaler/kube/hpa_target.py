"""`HpaTargetWriter`: run an HPA's metric at the tuned target utilisation, by the user's consent.

The same rules as the floor (`scaler.kube.hpa`), for one metric's target (`metric_target`):

- the first write records the user's own target in ``forescale.io/baseline-metric-target``
  (type, name, field and value as written); ``restore`` writes it back and removes the marks;
- ``forescale.io/applied-metric-target`` records the utilisation and value written. If the
  metric's target no longer equals it, someone (a person, a GitOps sync) changed it since: their
  value becomes the baseline, and Forescale never "restores" a target the user replaced;
- observe first, write only on change, every write a merge patch carrying the observed
  ``resourceVersion`` (409: the round is redone, bounded).

`HpaActuator.release` calls `restore` too, so every path that gives a floor back (fallback to
reactive, deletion, shutdown, the unclaimed-object sweep) gives the target back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forescale.scaler.clock import Clock
from forescale.scaler.domain import HpaRef, TargetWrite
from forescale.scaler.errors import ActuationConflict, ScalerError
from forescale.scaler.kube.client import HPA, KubeApi, KubeError
from forescale.scaler.kube.events import EventRecorder
from forescale.scaler.kube.metric_target import (
    MetricTarget,
    find_metric,
    locate,
    scaled_value,
    with_value,
)
from forescale.scaler.kube.retry import RetryPolicy, with_retries

__all__ = ["APPLIED_TARGET_ANNOTATION", "BASELINE_TARGET_ANNOTATION", "HpaTargetWriter"]

log = logging.getLogger(__name__)
BASELINE_TARGET_ANNOTATION = "forescale.io/baseline-metric-target"
APPLIED_TARGET_ANNOTATION = "forescale.io/applied-metric-target"


@dataclass(frozen=True, slots=True)
class _Seen:
    """One read of the HPA's metric targets, with the baseline rule applied."""

    obj: dict[str, Any]
    metrics: list[dict[str, Any]]
    baseline: MetricTarget | None
    """The user's own target (recorded, or the metric's as it stands when unmanaged)."""
    current: MetricTarget | None
    applied: float | None
    """The tuned utilisation of ours in force (None: the user's target is in force)."""
    managed: bool

    @classmethod
    def of(cls, obj: dict[str, Any], wanted: str | None) -> _Seen | str:
        metrics = list((obj.get("spec") or {}).get("metrics") or [])
        marks = (obj.get("metadata") or {}).get("annotations") or {}
        recorded = MetricTarget.from_json(marks.get(BASELINE_TARGET_ANNOTATION, ""))
        current = locate(metrics, recorded) if recorded is not None else None
        if recorded is None or current is None:  # unmanaged, or the user removed the metric
            found = find_metric(metrics, wanted)
            if isinstance(found, str):
                return cls(obj, metrics, None, None, None, True) if recorded else found
            return cls(obj, metrics, found, found, None, recorded is not None)
        applied = _applied(marks.get(APPLIED_TARGET_ANNOTATION))
        if applied is None or applied[1] != current.value:
            log.debug("%s: target edited by someone else; it is the baseline now", current.name)
            return cls(obj, metrics, current, current, None, True)
        return cls(obj, metrics, recorded, current, applied[0], True)


def applied_utilization(obj: dict[str, Any]) -> float | None:
    """The tuned utilisation of ours in force on ``obj`` (for `Capacity.tuned_target`)."""
    seen = _Seen.of(obj, None)
    return None if isinstance(seen, str) else seen.applied


def _applied(raw: str | None) -> tuple[float, str] | None:
    try:
        mark = json.loads(raw or "")
        return float(mark["utilization"]), str(mark["value"])
    except (ValueError, TypeError, KeyError):
        return None


@dataclass
class HpaTargetWriter:
    api: KubeApi
    clock: Clock
    translate: Callable[[KubeError, HpaRef], ScalerError]
    events: EventRecorder | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def set(
        self,
        ref: HpaRef,
        utilization: float | None,
        *,
        base: float,
        metric: str | None,
        reason: str,
        dry_run: bool,
    ) -> TargetWrite:
        """Run ``ref``'s metric at ``utilization`` (None: restore the user's own)."""
        if utilization is None:
            return self.restore(ref, reason=reason, dry_run=dry_run, wanted=metric)
        factor = utilization / base

        def decide(seen: _Seen) -> tuple[TargetWrite, dict[str, Any] | None]:
            assert seen.baseline is not None and seen.current is not None
            value = scaled_value(seen.baseline, factor)
            if seen.applied == utilization and seen.current.value == value:
                return self._result(ref, "noop", utilization, seen, reason, dry_run), None
            marks: dict[str, str | None] = {
                BASELINE_TARGET_ANNOTATION: seen.baseline.to_json(),
                APPLIED_TARGET_ANNOTATION: json.dumps(
                    {"utilization": utilization, "value": value}, separators=(",", ":")
                ),
            }
            patch = _patch(seen, marks, value)  # fmt: skip
            return self._result(ref, "apply", utilization, seen, reason, dry_run), patch

        return self._converge(ref, decide, wanted=metric, dry_run=dry_run)

    def restore(
        self, ref: HpaRef, *, reason: str, dry_run: bool, wanted: str | None = None
    ) -> TargetWrite:
        """Write the user's own target back and remove the marks (a no-op when unmanaged)."""

        def decide(seen: _Seen) -> tuple[TargetWrite, dict[str, Any] | None]:
            if not seen.managed:
                return self._result(ref, "noop", None, seen, "nothing to restore", dry_run), None
            marks: dict[str, str | None] = {
                BASELINE_TARGET_ANNOTATION: None, APPLIED_TARGET_ANNOTATION: None,
            }  # fmt: skip
            value = seen.baseline.value if seen.baseline is not None else None
            changed = seen.current is not None and seen.current.value != value
            patch = _patch(seen, marks, value if changed else None)
            action = "restore" if changed else "noop"
            return self._result(ref, action, None, seen, reason, dry_run), patch

        return self._converge(ref, decide, wanted=wanted, dry_run=dry_run, restoring=True)

    # -- the read-decide-write round ----------------------------------------------------------
    def _converge(
        self,
        ref: HpaRef,
        decide: Callable[[_Seen], tuple[TargetWrite, dict[str, Any] | None]],
        *,
        wanted: str | None,
        dry_run: bool,
        restoring: bool = False,
    ) -> TargetWrite:
        for round_ in range(1, self.policy.conflict_attempts + 1):
            seen = _Seen.of(self._call(ref, lambda: self.api.get(
                HPA, namespace=ref.namespace, name=ref.name)), wanted)  # fmt: skip
            refused = _refusal(seen, restoring=restoring)
            if refused is not None or isinstance(seen, str):
                why = refused or "nothing to restore"
                return TargetWrite(target=str(ref), action="noop", applied=None, dry_run=dry_run,
                                   message=why, refused=refused)  # fmt: skip
            result, patch = decide(seen)
            if dry_run or patch is None:
                return result
            try:
                updated = self.api.merge_patch(HPA, namespace=ref.namespace, name=ref.name,
                                               patch=patch)  # fmt: skip
            except KubeError as err:
                if err.status != 409:
                    raise self.translate(err, ref) from None
                self.clock.sleep(0.01 * round_)
                continue
            log.info("%s: metric target %s -> %s (%s)", ref, seen.current and
                     seen.current.describe(), result.applied, result.message)  # fmt: skip
            if self.events is not None and result.action != "noop":
                self.events.record(
                    updated, action="SetMetricTarget", note=_note(result, seen),
                    reason="TargetRaised" if result.action == "apply" else "TargetRestored",
                )  # fmt: skip
            return result
        raise ActuationConflict(
            f"{ref}: the HPA kept changing under us; gave up after "
            f"{self.policy.conflict_attempts} read-modify-write rounds (will retry next cycle)"
        )

    def _call(self, ref: HpaRef, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return with_retries(call, policy=self.policy, clock=self.clock)
        except KubeError as err:
            raise self.translate(err, ref) from None

    @staticmethod
    def _result(
        ref: HpaRef, action: str, applied: float | None, seen: _Seen, message: str, dry_run: bool
    ) -> TargetWrite:
        return TargetWrite(
            target=str(ref), action=action, applied=applied,  # type: ignore[arg-type]
            original=seen.baseline.describe() if seen.baseline is not None else None,
            dry_run=dry_run, message=message,
        )  # fmt: skip


def _refusal(seen: _Seen | str, *, restoring: bool) -> str | None:
    """Why no target can be written (None: one can, or this is a restore)."""
    if restoring:
        return None
    if isinstance(seen, str):
        return seen
    return "its metric was removed from the HPA" if seen.baseline is None else None


def _patch(seen: _Seen, marks: dict[str, str | None], value: str | None) -> dict[str, Any]:
    """Marks always; the metrics (the whole list: a merge patch replaces lists) when ``value``
    changes the metric's target."""
    resource_version = str(seen.obj["metadata"]["resourceVersion"])
    patch: dict[str, Any] = {
        "metadata": {"resourceVersion": resource_version, "annotations": marks}
    }
    if value is not None and seen.current is not None and seen.current.value != value:
        patch["spec"] = {"metrics": with_value(seen.metrics, seen.current, value)}
    return patch


def _note(result: TargetWrite, seen: _Seen) -> str:
    before = seen.current.describe() if seen.current is not None else "?"
    if result.applied is None:
        return f"{before} -> {result.original} (the user's own): {result.message}"
    return f"{before} -> tuned {result.applied:.0%} of the user's scale: {result.message}"
