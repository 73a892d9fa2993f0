"""`LiveView`: the `ControllerView` the API serves, over a running `Controller`.

Reads are snapshots (`TargetRuntime.status`, replaced whole after every cycle), found by one
locked lookup on the controller: they never wait for a cycle or its network calls. Forecasts and
dry runs hold one target's lock for the CPU they take; a forecast is computed once per target,
horizon and quantile for each status snapshot (a dashboard polling many targets would otherwise
recompute every forecast on every poll, each time holding the lock its cycle needs). Writes
(retrain, promote, pause) go through the target's narrow methods and, when a model store is
configured, the store, so that the next cycle uses the new model.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from forescale.models.persistence import ModelCard
from forescale.scaler.controller.loop import Controller
from forescale.scaler.controller.runtime import TargetRuntime
from forescale.scaler.controller.view import ModelInfo, TargetStatus
from forescale.scaler.domain import CapacityPlan
from forescale.scaler.errors import ModelNotFound, ModelStoreError, NotTunedYet
from forescale.scaler.modelstore.base import ModelStore, model_key
from forescale.scaler.records import ForecastPoint, ForecastRecord

__all__ = ["LiveView"]

FORECASTS_KEPT = 512
"""Forecasts kept for reuse (least recently used dropped): one per target, horizon and quantile
asked since its last cycle; a few KiB each."""


class LiveView:
    def __init__(self, controller: Controller, *, models: ModelStore | None = None) -> None:
        self.controller = controller
        self.store = models
        self.loaded = False
        """Set once the first cycle has loaded targets and history (readiness)."""
        self._forecasts: OrderedDict[tuple[str, int, float], tuple[TargetStatus, ForecastRecord]]
        self._forecasts = OrderedDict()
        self._forecasts_lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self.loaded or self.controller.cycles > 0

    def targets(self) -> list[TargetStatus]:
        return self.controller.statuses()

    def target(self, name: str) -> TargetStatus:
        return self.controller.runtime(name).status()

    def forecast(
        self, name: str, *, horizon_steps: int, quantile: float | None = None
    ) -> ForecastRecord:
        """The forecast as of the target's newest status: computed at the first ask after each
        change of status (a cycle, a retrain, a promotion), then served as it was issued."""
        runtime = self.controller.runtime(name)
        q = quantile if quantile is not None else runtime.sized_quantile
        key, version = (name, horizon_steps, q), runtime.status()
        with self._forecasts_lock:
            kept = self._forecasts.get(key)
            if kept is not None and kept[0] is version:
                self._forecasts.move_to_end(key)
                return kept[1]
        record = self._compute_forecast(runtime, name, horizon_steps=horizon_steps, q=q)
        with self._forecasts_lock:
            self._forecasts[key] = (version, record)
            self._forecasts.move_to_end(key)
            while len(self._forecasts) > FORECASTS_KEPT:
                self._forecasts.popitem(last=False)
        return record

    def _compute_forecast(
        self, runtime: TargetRuntime, name: str, *, horizon_steps: int, q: float
    ) -> ForecastRecord:
        fc = runtime.band(quantile=q, horizon=horizon_steps)
        upper = np.asarray(fc.quantile(q), dtype=float)
        lower = np.asarray(fc.quantile(0.1), dtype=float)
        points = tuple(
            ForecastPoint(at=ts.to_pydatetime(), mean=float(fc.mean[i]), lower=float(lower[i]),
                          upper=float(upper[i]))
            for i, ts in enumerate(fc.index)
        )  # fmt: skip
        return ForecastRecord(
            target=name,
            issued_at=self.controller.clock.now(),
            model=fc.model,
            quantile=q,
            points=points,
            notes=fc.notes,
        )

    def tuning(self, name: str) -> dict[str, Any]:
        runtime = self.controller.runtime(name)
        report = runtime.tuning(detail=True)
        if report is None:
            why = (
                "self-tuning is disabled for it (spec.tuning: Disabled)"
                if runtime.spec.tuning is None
                else "it has not been tuned yet: tuning runs after a refit once two days of its "
                "forecasts have been recorded"
            )
            raise NotTunedYet(f"{name}: {why}")
        return report

    def dry_run_plan(self, name: str, *, quantile: float | None = None) -> CapacityPlan:
        runtime = self.controller.runtime(name)
        return runtime.dry_run(now=self.controller.clock.now(), quantile=quantile)

    def models(self, name: str) -> list[ModelInfo]:
        runtime = self.controller.runtime(name)
        if self.store is None:
            current = runtime.model_card()
            return [_live(current[1])] if current is not None else []
        key = model_key(name)
        promoted = self.store.promoted(key)
        out = []
        for version in self.store.versions(key):  # cards only: nothing is unpickled here
            try:
                card, error = self.store.card(key, version).to_json(), None
            except ModelNotFound:
                continue  # pruned since it was listed
            except ModelStoreError as exc:  # one bad version must not hide the good ones
                card, error = {}, str(exc)
            out.append(ModelInfo(version=version, promoted=version == promoted, card=card,
                                 error=error))  # fmt: skip
        return out

    def retrain(self, name: str) -> ModelInfo:
        runtime = self.controller.runtime(name)
        model, card = runtime.retrain(now=self.controller.clock.now())
        if self.store is not None:
            version = self.store.save(model_key(name), model, card)
            return ModelInfo(version=version, promoted=False, card=card.to_json())
        return _live(card)

    def promote(self, name: str, version: str) -> ModelInfo:
        runtime = self.controller.runtime(name)
        if self.store is None:
            raise ModelNotFound("no model store is configured: nothing to promote")
        model, card = self.store.load(model_key(name), version)
        self.store.promote(model_key(name), version)
        runtime.adopt(model, fitted_at=self.controller.clock.now(), version=version)
        return ModelInfo(version=version, promoted=True, card=card.to_json())

    def set_paused(self, name: str, paused: bool, *, by: str = "api") -> TargetStatus:
        return self.controller.set_paused(name, paused, by=by)


def _live(card: ModelCard) -> ModelInfo:
    """The model fitted in this process (no store): named by when it was fitted."""
    return ModelInfo(
        version=f"live-{card.created_at:%Y%m%dT%H%M%SZ}", promoted=True, card=card.to_json()
    )
