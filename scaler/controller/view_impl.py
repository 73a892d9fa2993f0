"""`LiveView`: the `ControllerView` the API serves, over a running `Controller`.

Reads take the controller's lock only as long as it takes to copy what they need; writes
(retrain, promote, pause) change one target's runtime and, when a model store is configured,
the store, so that the next cycle uses the new model.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from forescale.models.persistence import make_card
from forescale.scaler.controller.loop import Controller
from forescale.scaler.controller.runtime import TargetRuntime
from forescale.scaler.controller.view import ModelInfo, TargetStatus, UnknownTarget
from forescale.scaler.domain import CapacityPlan, Mode, TargetName
from forescale.scaler.errors import ForecastUnavailable, ModelNotFound
from forescale.scaler.modelstore.base import ModelStore, model_key
from forescale.scaler.records import ForecastPoint, ForecastRecord

__all__ = ["LiveView"]


class LiveView:
    def __init__(self, controller: Controller, *, models: ModelStore | None = None) -> None:
        self.controller = controller
        self.store = models
        self.loaded = False
        """Set once the first cycle has loaded targets and history (readiness)."""

    @property
    def ready(self) -> bool:
        return self.loaded or self.controller.cycles > 0

    def targets(self) -> list[TargetStatus]:
        with self.controller._lock:  # noqa: SLF001 - the view is the controller's own seam
            return [_status(r) for r in self.controller.runtimes.values()]

    def target(self, name: str) -> TargetStatus:
        return _status(self._runtime(name))

    def forecast(
        self, name: str, *, horizon_steps: int, quantile: float | None = None
    ) -> ForecastRecord:
        runtime = self._runtime(name)
        q = quantile if quantile is not None else runtime.spec.policy.quantile
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

    def dry_run_plan(self, name: str, *, quantile: float | None = None) -> CapacityPlan:
        return self._runtime(name).dry_run(now=self.controller.clock.now(), quantile=quantile)

    def models(self, name: str) -> list[ModelInfo]:
        runtime = self._runtime(name)
        if self.store is None:
            info = _current_model(runtime)
            return [info] if info is not None else []
        key = model_key(name)
        promoted = self.store.promoted(key)
        out = []
        for version in self.store.versions(key):
            _, card = self.store.load(key, version)
            out.append(
                ModelInfo(version=version, promoted=version == promoted, card=card.to_json())
            )
        return out

    def retrain(self, name: str) -> ModelInfo:
        runtime = self._runtime(name)
        now = self.controller.clock.now()
        with self.controller._lock:  # noqa: SLF001
            problem = runtime.forecaster.fit(runtime.history, now=now)
        if problem is not None:
            raise ForecastUnavailable(f"{name}: retrain failed: {problem.describe()}")
        info = _current_model(runtime)
        assert info is not None and runtime.forecaster.model is not None
        if self.store is not None:
            card = make_card(runtime.forecaster.model, runtime.history.dropna(), created_at=now)
            version = self.store.save(model_key(name), runtime.forecaster.model, card)
            return ModelInfo(version=version, promoted=False, card=card.to_json())
        return info

    def promote(self, name: str, version: str) -> ModelInfo:
        runtime = self._runtime(name)
        if self.store is None:
            raise ModelNotFound("no model store is configured: nothing to promote")
        model, card = self.store.load(model_key(name), version)
        self.store.promote(model_key(name), version)
        with self.controller._lock:  # noqa: SLF001
            runtime.forecaster.adopt(model, fitted_at=self.controller.clock.now(), version=version)
        return ModelInfo(version=version, promoted=True, card=card.to_json())

    def set_paused(self, name: str, paused: bool) -> TargetStatus:
        runtime = self._runtime(name)
        with self.controller._lock:  # noqa: SLF001
            runtime.paused = paused
        return _status(runtime)

    def _runtime(self, name: str) -> TargetRuntime:
        runtime = self.controller.runtimes.get(TargetName(name))
        if runtime is None:
            raise UnknownTarget(f"no target named {name!r}")
        return runtime


def _current_model(runtime: TargetRuntime) -> ModelInfo | None:
    model, fitted = runtime.forecaster.model, runtime.forecaster.fitted_at
    if model is None or fitted is None:
        return None
    card = make_card(model, runtime.history.dropna(), created_at=fitted)
    return ModelInfo(version=f"live-{fitted:%Y%m%dT%H%M%SZ}", promoted=True, card=card.to_json())


def _status(runtime: TargetRuntime) -> TargetStatus:
    last, spec, state = runtime.last, runtime.spec, runtime.policy.state
    plan_ = last.decision.plan if last is not None else None
    model = runtime.forecaster.model
    # The mode is the fallback machine's now: a failed cycle moves it without a new plan, and
    # a plan that was not reactive when made has had its floor given back once it is.
    released = state.mode is Mode.REACTIVE and plan_ is not None and plan_.mode is not Mode.REACTIVE
    return TargetStatus(
        name=str(spec.name), ref=str(spec.ref), mode=state.mode.value, mode_reason=state.reason,
        floor=plan_.floor if plan_ and not released else None,
        reactive=plan_.reactive if plan_ else None,
        desired=plan_.desired if plan_ else None,
        current_replicas=last.capacity.current_replicas if last else None,
        model=plan_.model if plan_ and plan_.model else (model.name if model else None),
        accuracy=runtime.policy.accuracy(),
        last_decision_at=plan_.at if plan_ else None, last_error=runtime.last_error,
        paused=runtime.paused, forecast_only=spec.forecast_only, quantile=spec.policy.quantile,
        lead_time_seconds=spec.policy.lead_time.total_seconds(),
        training_start=_ts(getattr(model, "train_start_", None)),
        training_end=_ts(getattr(model, "train_end_", None)),
    )  # fmt: skip


def _ts(value: object) -> datetime | None:
    to_py = getattr(value, "to_pydatetime", None)
    return to_py() if callable(to_py) else None
