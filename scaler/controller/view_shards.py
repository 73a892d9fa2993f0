"""`ShardedView`: a sharded replica's API answers for every target, not only its own.

A target another replica drives is shown from the shared record store (the decisions its
owner recorded, at least every few minutes), not by asking that replica over HTTP: every
replica already reads that store (history is served from it), it needs no address, token or
TLS between pods, and it keeps answering while the owner is dead or hung (the answer then says
how old it is). What only the owner holds, its fitted model, is not copied: a fresh forecast, a
dry-run plan, the tuning detail, the model versions, retrain and promote answer 409 naming the
replica that drives the target. Pausing works from any replica: the pause is stored where every
replica reads it (the PredictiveAutoscaler's annotation, or the shared store).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from forescale.scaler.controller.loop import Controller
from forescale.scaler.controller.pauses import pause_in
from forescale.scaler.controller.view import ModelInfo, RecordStore, TargetStatus
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.domain import CapacityPlan, TargetName, TargetSpec
from forescale.scaler.errors import ScalerError
from forescale.scaler.modelstore.base import ModelStore
from forescale.scaler.records import DecisionRecord, ForecastRecord

__all__ = ["RECENT", "ShardedView", "TargetElsewhere"]

RECENT = timedelta(minutes=15)
"""How far back the newest recorded decision of another replica's target is looked for: three
times the reporter's ``record_every`` (5 minutes), so a steady target always has one."""


class TargetElsewhere(ScalerError):
    """The target is driven by another replica, which alone holds its live model (409)."""


class ShardedView(LiveView):
    """`LiveView` for this replica's targets; the record store for the others'."""

    def __init__(
        self,
        controller: Controller,
        *,
        models: ModelStore | None = None,
        records: RecordStore,
        holder_of: Callable[[str], str | None],
        shared: bool = True,
    ) -> None:
        """``shared``: ``records`` is a database every replica writes (not this one's memory)."""
        super().__init__(controller, models=models)
        self.records = records
        self.holder_of = holder_of
        self.shared = shared

    def targets(self) -> list[TargetStatus]:
        others = list(self.controller.elsewhere.specs.values())
        return [*super().targets(), *(self._recorded(spec) for spec in others)]

    def target(self, name: str) -> TargetStatus:
        spec = self._elsewhere(name)
        return super().target(name) if spec is None else self._recorded(spec)

    def forecast(
        self, name: str, *, horizon_steps: int, quantile: float | None = None
    ) -> ForecastRecord:
        self._here(name, "a fresh forecast")
        return super().forecast(name, horizon_steps=horizon_steps, quantile=quantile)

    def dry_run_plan(self, name: str, *, quantile: float | None = None) -> CapacityPlan:
        self._here(name, "a dry-run plan")
        return super().dry_run_plan(name, quantile=quantile)

    def tuning(self, name: str) -> dict[str, Any]:
        self._here(name, "its tuning detail")
        return super().tuning(name)

    def models(self, name: str) -> list[ModelInfo]:
        self._here(name, "its model versions")
        return super().models(name)

    def retrain(self, name: str) -> ModelInfo:
        self._here(name, "a retrain")
        return super().retrain(name)

    def promote(self, name: str, version: str) -> ModelInfo:
        self._here(name, "a promotion")
        return super().promote(name, version)

    def set_paused(self, name: str, paused: bool, *, by: str = "api") -> TargetStatus:
        spec = self._elsewhere(name)
        if spec is None:
            return super().set_paused(name, paused, by=by)
        pause_in(self.controller.targets, spec.name, paused, by=by)  # its owner polls it
        return dataclasses.replace(self._recorded(spec), paused=paused)

    # -- pieces -------------------------------------------------------------------------------
    def _elsewhere(self, name: str) -> TargetSpec | None:
        """The spec of ``name`` when another replica drives it (None: ours, or unknown)."""
        if TargetName(name) in self.controller.runtimes:
            return None
        return self.controller.elsewhere.specs.get(name)

    def _here(self, name: str, what: str) -> None:
        if self._elsewhere(name) is not None:
            raise TargetElsewhere(
                f"{name} is driven by {self._owner(name)}, which alone holds its model: ask that "
                f"replica for {what} (its status and history are served here from the store)"
            )

    def _owner(self, name: str) -> str:
        holder = self.holder_of(name)
        return f"replica {holder}" if holder else "another replica (its shard is changing hands)"

    def _recorded(self, spec: TargetSpec) -> TargetStatus:
        """The status of another replica's target from its newest recorded decision."""
        name = str(spec.name)
        now = self.controller.clock.now()
        # Up to RECENT ahead too: the range is end-exclusive, and the owner's clock may be ahead.
        rows = self.records.decisions(name, start=now - RECENT, end=now + RECENT, limit=1000)
        newest: DecisionRecord | None = rows[-1] if rows else None
        owner = self._owner(name)
        mode = "unknown"
        if not self.shared:
            reason = (f"driven by {owner}, whose decisions are in its own memory: set store.url "
                      "to a database every replica shares")  # fmt: skip
        elif newest is None:
            reason = f"driven by {owner}: no decision recorded since {RECENT}"
        else:
            mode = newest.mode
            reason = f"{newest.mode_reason} (recorded by {owner} at {newest.at:%H:%M:%S}Z)"
        return TargetStatus(
            name=name, ref=str(spec.ref), mode=mode, mode_reason=reason,
            floor=newest.floor if newest else None, reactive=newest.reactive if newest else None,
            desired=newest.desired if newest else None,
            current_replicas=newest.current_replicas if newest else None,
            model=newest.model if newest else None, accuracy=None,
            last_decision_at=newest.at if newest else None,
            last_error=newest.error if newest else None,
            paused=spec.name in self.controller.elsewhere.paused,
            forecast_only=spec.forecast_only, quantile=spec.policy.quantile,
            lead_time_seconds=spec.policy.lead_time.total_seconds(),
            training_start=None, training_end=None,  # the model is the owner's, not recorded
        )  # fmt: skip
