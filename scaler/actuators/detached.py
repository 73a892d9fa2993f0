"""`DetachedActuator`: plan for objects Forescale cannot reach, without writing anything.

A dry run (``forescale run --dry-run``) or a ``ForecastOnly`` target outside a cluster needs no
actuator: it forecasts from Prometheus and publishes the plan. This stands in for the HPA
actuator when ``kubernetes.enabled`` is off. It observes nothing, so the object is taken to be
what its spec says (floor and baseline at ``minReplicas``, at most ``maxReplicas``) and to run
``maxReplicas``: from there the shadow HPA's recommendation is the HPA formula on the load with
its scale-down stabilisation (a real HPA's own scale-up rate limit would otherwise cap it at
twice a made-up count). Dry-run writes answer what they would do. Any other target is refused
at its first step, naming the setting that would let Forescale drive it.
"""

from __future__ import annotations

from collections.abc import Callable

from forescale.scaler.domain import ActuationResult, Capacity, TargetRef, TargetSpec
from forescale.scaler.errors import ConfigError, TargetNotFound

__all__ = ["DetachedActuator"]

SpecLookup = Callable[[TargetRef], TargetSpec | None]


class DetachedActuator:
    def __init__(self, spec_of: SpecLookup, *, dry_run: bool, enable: str) -> None:
        """``spec_of``: the target naming ``ref``; ``dry_run``: the controller's setting;
        ``enable``: what to set to drive such objects, e.g. ``kubernetes.enabled``."""
        self._spec_of = spec_of
        self._dry_run = dry_run
        self._enable = enable

    def observe(self, ref: TargetRef) -> Capacity:
        spec = self._spec(ref)
        if not (self._dry_run or spec.forecast_only):
            raise ConfigError(
                f"{ref}: driving a {ref.kind.upper()} needs {self._enable}; without it, run "
                "with --dry-run (controller.dry_run) or give the target mode: ForecastOnly"
            )
        policy = spec.policy
        return Capacity(
            current_replicas=policy.max_replicas,
            min_replicas=policy.min_replicas,
            max_replicas=policy.max_replicas,
            baseline_min_replicas=policy.min_replicas,
        )

    def apply_floor(
        self, ref: TargetRef, replicas: int, *, reason: str, dry_run: bool = False
    ) -> ActuationResult:
        del reason
        low = self._writable(ref, dry_run=dry_run)
        after = max(low, replicas)
        return ActuationResult(
            target=str(ref), action="raise" if after > low else "noop", floor_before=low,
            floor_after=after, dry_run=True,
            message=f"dry run: would set the floor of {ref} to {after} (not observed)",
        )  # fmt: skip

    def release(self, ref: TargetRef, *, reason: str, dry_run: bool = False) -> ActuationResult:
        del reason
        low = self._writable(ref, dry_run=dry_run)
        return ActuationResult(
            target=str(ref), action="noop", floor_before=low, floor_after=low, dry_run=True,
            message=f"dry run: nothing to restore on {ref}",
        )  # fmt: skip

    def _spec(self, ref: TargetRef) -> TargetSpec:
        spec = self._spec_of(ref)
        if spec is None:
            raise TargetNotFound(f"{ref}: no target names this object")
        return spec

    def _writable(self, ref: TargetRef, *, dry_run: bool) -> int:
        """The object's floor (its spec's ``minReplicas``); a real write is refused."""
        if not dry_run:
            raise ConfigError(f"{ref}: cannot write a floor without {self._enable}")
        return self._spec(ref).policy.min_replicas
