"""The one protocol through which the controller changes capacity: `Actuator`.

Both real actuators (HPA, ASG) raise a *floor* (HPA ``minReplicas``, ASG ``MinSize``); the
reactive autoscaler stays in charge above it, so a spike the forecast missed is still handled.
The first time a target is touched the user's own floor is recorded on the object, and
``release`` restores it. Writes happen only when the value changes.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from forescale.scaler.domain import ActuationResult, Capacity, TargetRef

__all__ = ["Actuator", "Reclaimable"]


@runtime_checkable
class Actuator(Protocol):
    def observe(self, ref: TargetRef) -> Capacity:
        """Current replicas, floor, the user's baseline floor and the maximum."""
        ...

    def apply_floor(
        self, ref: TargetRef, replicas: int, *, reason: str, dry_run: bool = False
    ) -> ActuationResult:
        """Set the floor to ``replicas`` (never above the object's maximum, never below the
        user's baseline). ``reason`` goes into the event/log written with the change."""
        ...

    def release(self, ref: TargetRef, *, reason: str, dry_run: bool = False) -> ActuationResult:
        """Restore the user's own floor (fallback to reactive, target removed, shutdown)."""
        ...


@runtime_checkable
class Reclaimable(Protocol):
    """An actuator that can list the objects still carrying Forescale's baseline mark.

    The controller releases those no target claims any more: an object whose
    PredictiveAutoscaler was deleted while no Forescale leader was running would otherwise keep
    its raised floor for ever (the "HPA stuck high" failure users report of other tools)."""

    def managed(self) -> list[TargetRef]:
        """Objects whose floor Forescale raised and has not released, in this actuator's scope."""
        ...
