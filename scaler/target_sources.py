"""Where `forescale run` gets its targets: the cluster, a targets file, or both; and how their
specs are completed before the controller runs them.

- `CombinedTargets`: with ``kubernetes.enabled`` *and* ``controller.targets_file`` (the chart
  renders declared ``targets:``, e.g. Auto Scaling groups, into a file while it always enables
  Kubernetes) both are read; an object and a document with the same name are one too many: the
  cluster's object runs and the document is refused (logged).
- `ResolvedTargets`: an Auto Scaling group target that gave no ``leadTime`` is sized its group's
  instance warm-up ahead; the newest specs are kept by object for actuators that cannot observe
  it (`DetachedActuator`).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from forescale.scaler.clock import Clock
from forescale.scaler.controller.pauses import pause_in
from forescale.scaler.controller.targets import TargetProvider, TargetsUpdate
from forescale.scaler.domain import AsgRef, TargetName, TargetRef, TargetSpec
from forescale.scaler.errors import ScalerError

if TYPE_CHECKING:
    from forescale.scaler.aws import AsgActuator

__all__ = ["WARM_UP_EVERY", "CombinedTargets", "ResolvedTargets"]

log = logging.getLogger(__name__)

WARM_UP_EVERY = timedelta(minutes=10)
"""How long an Auto Scaling group's warm-up is trusted before it is read again."""


class CombinedTargets:
    """The cluster's PredictiveAutoscalers and a targets file's documents, as one source."""

    def __init__(self, cluster: TargetProvider, file: TargetProvider) -> None:
        self.cluster, self.file = cluster, file
        self._from_file: set[TargetName] = set()
        self._clashes: frozenset[TargetName] = frozenset()

    def poll(self) -> TargetsUpdate:
        cluster, file = self.cluster.poll(), self.file.poll()
        objects = {s.name for s in cluster.targets} | {i.name for i in cluster.invalid}
        clashes = frozenset(s.name for s in file.targets if s.name in objects)
        if clashes and clashes != self._clashes:
            log.error(
                "%s: declared both as PredictiveAutoscaler objects and in the targets file; the "
                "objects run, remove the file's documents", ", ".join(sorted(clashes)),
            )  # fmt: skip
        self._clashes = clashes
        documents = tuple(s for s in file.targets if s.name not in clashes)
        self._from_file = {s.name for s in documents} | {i.name for i in file.invalid}
        return TargetsUpdate(
            targets=(*cluster.targets, *documents),
            invalid=(*cluster.invalid, *file.invalid),
            deleted=(*cluster.deleted, *file.deleted),
            retargeted=(*cluster.retargeted, *file.retargeted),
            paused=cluster.paused | (file.paused & self._from_file),
        )

    def write_status(self, name: TargetName, status: dict[str, Any]) -> bool:
        if name in self._from_file:
            return True  # a file has no status to write
        return bool(self.cluster.write_status(name, status))

    def set_paused(self, name: TargetName, paused: bool, *, by: str) -> None:
        """Where the target lives: its object's annotation, or the file's pause store."""
        pause_in(self.file if name in self._from_file else self.cluster, name, paused, by=by)


class ResolvedTargets:
    """The configured targets as the controller runs them (see the module docstring).

    Until AWS answers, an Auto Scaling group target keeps the 5-minute default lead time, while
    its cycles fail on the same AWS error anyway."""

    def __init__(self, inner: TargetProvider, *, asg: AsgActuator, clock: Clock) -> None:
        self.inner, self._asg, self._clock = inner, asg, clock
        self._warm_up: dict[AsgRef, tuple[timedelta, datetime]] = {}
        self._specs: dict[TargetRef, TargetSpec] = {}

    def poll(self) -> TargetsUpdate:
        update = self.inner.poll()
        targets = tuple(self._resolve(spec) for spec in update.targets)
        self._specs = {spec.ref: spec for spec in targets}
        return dataclasses.replace(update, targets=targets)

    def write_status(self, name: TargetName, status: dict[str, Any]) -> bool:
        return bool(self.inner.write_status(name, status))

    def set_paused(self, name: TargetName, paused: bool, *, by: str) -> None:
        pause_in(self.inner, name, paused, by=by)

    def spec_of(self, ref: TargetRef) -> TargetSpec | None:
        return self._specs.get(ref)

    def _resolve(self, spec: TargetSpec) -> TargetSpec:
        from forescale.scaler.aws import with_warm_up

        if not isinstance(spec.ref, AsgRef) or not spec.default_lead_time:
            return spec
        now, known = self._clock.now(), self._warm_up.get(spec.ref)
        if known is None or now - known[1] >= WARM_UP_EVERY:
            try:
                known = (self._asg.default_lead_time(spec.ref), now)
                self._warm_up[spec.ref] = known
            except ScalerError as exc:
                log.warning("%s: cannot read the group's warm-up for its lead time: %s",
                            spec.name, exc)  # fmt: skip
        return spec if known is None else with_warm_up(spec, known[0])
