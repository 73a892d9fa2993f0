"""`MemoryActuator`: an honest in-memory twin of an HPA or ASG floor, for tests and the demo.

It keeps, per object, the floor, the maximum, the user's baseline and the current replica count,
applies the same rules as the real actuators (record the baseline once, clamp to
``[baseline, max]``, write only on change, restore on release) and records every write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from forescale.scaler.domain import ActuationResult, Capacity, TargetRef
from forescale.scaler.errors import TargetNotFound

__all__ = ["MemoryActuator", "MemoryObject"]


@dataclass
class MemoryObject:
    min_replicas: int
    max_replicas: int
    current_replicas: int
    baseline_min_replicas: int | None = None
    ready_replicas: int | None = None


@dataclass
class MemoryActuator:
    objects: dict[str, MemoryObject] = field(default_factory=dict)
    writes: list[ActuationResult] = field(default_factory=list)
    schedules: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    """Published schedules of floors (the ASG twin's scheduled actions), by object."""
    refs: dict[str, TargetRef] = field(default_factory=dict)

    def add(
        self,
        ref: TargetRef,
        *,
        min_replicas: int,
        max_replicas: int,
        current_replicas: int | None = None,
    ) -> None:
        self.refs[str(ref)] = ref
        self.objects[str(ref)] = MemoryObject(
            min_replicas=min_replicas,
            max_replicas=max_replicas,
            current_replicas=current_replicas if current_replicas is not None else min_replicas,
        )

    def _get(self, ref: TargetRef) -> MemoryObject:
        try:
            return self.objects[str(ref)]
        except KeyError:
            raise TargetNotFound(f"{ref} not found") from None

    def observe(self, ref: TargetRef) -> Capacity:
        obj = self._get(ref)
        baseline = obj.baseline_min_replicas
        return Capacity(
            current_replicas=obj.current_replicas,
            min_replicas=obj.min_replicas,
            max_replicas=obj.max_replicas,
            baseline_min_replicas=baseline if baseline is not None else obj.min_replicas,
            ready_replicas=obj.ready_replicas,
        )

    def managed(self) -> list[TargetRef]:
        return [
            self.refs[key] for key, obj in self.objects.items()
            if obj.baseline_min_replicas is not None and key in self.refs
        ]  # fmt: skip

    def apply_floor(
        self, ref: TargetRef, replicas: int, *, reason: str, dry_run: bool = False
    ) -> ActuationResult:
        obj = self._get(ref)
        baseline = (
            obj.baseline_min_replicas if obj.baseline_min_replicas is not None else obj.min_replicas
        )
        target = max(baseline, min(replicas, obj.max_replicas))
        return self._write(ref, obj, target, baseline=baseline, reason=reason, dry_run=dry_run)

    def release(self, ref: TargetRef, *, reason: str, dry_run: bool = False) -> ActuationResult:
        obj = self._get(ref)
        if obj.baseline_min_replicas is None:
            return ActuationResult(
                target=str(ref),
                action="noop",
                floor_before=obj.min_replicas,
                floor_after=obj.min_replicas,
                dry_run=dry_run,
                message="nothing to restore",
            )
        result = self._write(
            ref,
            obj,
            obj.baseline_min_replicas,
            baseline=obj.baseline_min_replicas,
            reason=reason,
            dry_run=dry_run,
            restore=True,
        )
        if not dry_run:
            obj.baseline_min_replicas = None
        return result

    def publish_schedule(
        self,
        ref: TargetRef,
        floors: Sequence[tuple[datetime, int]],
        *,
        now: datetime,
        until: datetime | None = None,
        dry_run: bool = False,
    ) -> int:
        """Keep the future floors (clamped like `apply_floor`); returns how many."""
        obj = self._get(ref)
        del until
        low = (
            obj.baseline_min_replicas if obj.baseline_min_replicas is not None else obj.min_replicas
        )
        kept = [(at, max(low, min(n, obj.max_replicas))) for at, n in floors if at > now]
        if not dry_run:
            self.schedules[str(ref)] = kept
        return len(kept)

    def clear_schedule(self, ref: TargetRef, *, dry_run: bool = False) -> int:
        removed = len(self.schedules.get(str(ref), []))
        if not dry_run:
            self.schedules.pop(str(ref), None)
        return removed

    def _write(
        self,
        ref: TargetRef,
        obj: MemoryObject,
        target: int,
        *,
        baseline: int,
        reason: str,
        dry_run: bool,
        restore: bool = False,
    ) -> ActuationResult:
        before = obj.min_replicas
        if target == before:
            action = "noop"
        elif restore:
            action = "restore"
        else:
            action = "raise" if target > before else "lower"
        result = ActuationResult(
            target=str(ref),
            action=action,  # type: ignore[arg-type]
            floor_before=before,
            floor_after=target,
            dry_run=dry_run,
            message=reason,
        )
        if action != "noop" and not dry_run:
            if obj.baseline_min_replicas is None:
                obj.baseline_min_replicas = baseline
            obj.min_replicas = target
            obj.current_replicas = max(obj.current_replicas, target)
            self.writes.append(result)
        return result
