"""The one protocol through which the controller changes capacity: `Actuator`.

Both real actuators raise a *floor*: the HPA actuator (`forescale.scaler.kube.hpa`) its
``minReplicas``, the ASG actuator (`forescale.scaler.aws.asg`) its ``MinSize``; the
reactive autoscaler stays in charge above it, so a spike the forecast missed is still handled.
The first time a target is touched the user's own floor is recorded on the object, and
``release`` restores it. Writes happen only when the value changes.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from forescale.scaler.domain import ActuationResult, Capacity, TargetRef, TargetWrite

__all__ = ["Actuator", "Reclaimable", "TargetWriter"]


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


@runtime_checkable
class TargetWriter(Protocol):
    """An actuator that can also run the reactive scaler hotter (issue 13 item 4, by consent).

    The only way to cost less than the HPA alone is a higher target utilisation while the floor
    puts capacity in place ahead of load. ``set_target`` writes the tuned utilisation as the
    scaling target the load corresponds to (an HPA metric's target, a group's target-tracking
    ``TargetValue``), scaled from the user's own target by ``utilization / base`` so that the
    user's units are kept; the user's own is recorded on the object first and ``release``
    restores it with the floor, so every path that gives a floor back gives the target back.
    """

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
        """Run at ``utilization`` (None: the user's own target again). ``base``: the spec's
        target utilisation, which the user's own target stands for; ``metric``: which metric or
        policy when there are several. Nothing is written when nothing changes; what cannot be
        written is answered with ``refused``, never raised."""
        ...
