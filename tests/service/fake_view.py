"""`FakeController`: a small, honest in-memory `ControllerView` for the API tests.

Honest means it behaves like the contract says, not like a canned answer: unknown names raise
`UnknownTarget`, a target without a model raises `ForecastUnavailable`, bad arguments raise
`ValueError`, the forecast respects the horizon and the quantile (a normal band around a daily
cycle), the dry-run plan sizes replicas from that forecast like the planner does (ceil of load over
load per replica, never below the reactive count), retrain adds a version, promote needs an
existing one, pausing releases the floor.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any

from forescale.scaler.clock import Clock
from forescale.scaler.controller.view import ModelInfo, TargetStatus, UnknownTarget
from forescale.scaler.domain import CapacityPlan, Mode, PlanStep, TargetName
from forescale.scaler.errors import ForecastUnavailable, ModelNotFound, NotTunedYet
from forescale.scaler.planning.ledger import AccuracySnapshot
from forescale.scaler.records import ForecastPoint, ForecastRecord

STEP = timedelta(minutes=1)
SPREAD = 0.15
"""Forecast standard deviation as a share of the mean."""


@dataclass(kw_only=True)
class FakeTarget:
    name: str
    base_load: float = 600.0
    load_per_replica: float = 80.0
    min_replicas: int = 2
    max_replicas: int = 40
    quantile: float = 0.9
    lead_time: timedelta = timedelta(minutes=5)
    mode: Mode = Mode.PREDICTIVE
    paused: bool = False
    models: list[ModelInfo] = field(default_factory=list)
    tuning: dict[str, Any] | None = None


def card(version: str, *, trained_until: datetime, mase: float = 0.8) -> dict[str, object]:
    return {
        "model": "seasonal_naive",
        "version": version,
        "params": {"season": 1440},
        "train_start": (trained_until - timedelta(days=14)).isoformat(),
        "train_end": trained_until.isoformat(),
        "metrics": {"mase": mase, "coverage_p90": math.nan},
    }


class FakeController:
    def __init__(self, clock: Clock, *, ready: bool = True) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._targets: dict[str, FakeTarget] = {}
        self.ready_flag = ready

    # -- set-up --------------------------------------------------------------------------
    def add(self, name: str, *, with_model: bool = True, **options: object) -> FakeTarget:
        target = FakeTarget(name=name, **options)  # type: ignore[arg-type]
        if with_model:
            v1 = ModelInfo(
                version="v1", promoted=True, card=card("v1", trained_until=self._clock.now())
            )
            target.models.append(v1)
        self._targets[name] = target
        return target

    # -- ControllerView ------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.ready_flag

    def targets(self) -> list[TargetStatus]:
        with self._lock:
            return [self._status(t) for t in self._targets.values()]

    def target(self, name: str) -> TargetStatus:
        with self._lock:
            return self._status(self._get(name))

    def forecast(
        self, name: str, *, horizon_steps: int, quantile: float | None = None
    ) -> ForecastRecord:
        with self._lock:
            target = self._get(name)
            return self._forecast(target, horizon_steps, quantile or target.quantile)

    def dry_run_plan(self, name: str, *, quantile: float | None = None) -> CapacityPlan:
        with self._lock:
            target = self._get(name)
            return self._plan(target, quantile or target.quantile)

    def tuning(self, name: str) -> dict[str, Any]:
        with self._lock:
            target = self._get(name)
        if target.tuning is None:
            raise NotTunedYet(f"{name}: it has not been tuned yet")
        return target.tuning

    def models(self, name: str) -> list[ModelInfo]:
        with self._lock:
            return list(self._get(name).models)

    def retrain(self, name: str) -> ModelInfo:
        with self._lock:
            target = self._get(name)
            version = f"v{len(target.models) + 1}"
            new = ModelInfo(
                version=version, promoted=True, card=card(version, trained_until=self._clock.now())
            )
            target.models = [replace(m, promoted=False) for m in target.models] + [new]
            return new

    def promote(self, name: str, version: str) -> ModelInfo:
        with self._lock:
            target = self._get(name)
            if version not in {m.version for m in target.models}:
                raise ModelNotFound(f"{name} has no model version {version}")
            target.models = [replace(m, promoted=m.version == version) for m in target.models]
            return next(m for m in target.models if m.promoted)

    def set_paused(self, name: str, paused: bool, *, by: str = "api") -> TargetStatus:  # noqa: ARG002
        with self._lock:
            target = self._get(name)
            target.paused = paused
            return self._status(target)

    # -- the model and the planner, in miniature ------------------------------------------
    def _get(self, name: str) -> FakeTarget:
        try:
            return self._targets[name]
        except KeyError:
            raise UnknownTarget(f"no target named {name!r}") from None

    def load_at(self, target: FakeTarget, at: datetime) -> float:
        day = (at.timestamp() % 86400) / 86400
        return target.base_load * (1 + 0.5 * math.sin(2 * math.pi * day))

    def _forecast(self, target: FakeTarget, steps: int, quantile: float) -> ForecastRecord:
        if steps < 1:
            raise ValueError(f"horizon_steps must be >= 1, got {steps}")
        if not 0 < quantile < 1:
            raise ValueError(f"quantile must be in (0, 1), got {quantile}")
        if not any(m.promoted for m in target.models):
            raise ForecastUnavailable(f"{target.name} has no trained model yet")
        now = self._clock.now()
        z_low, z_high = NormalDist().inv_cdf(0.1), NormalDist().inv_cdf(quantile)
        points = []
        for k in range(1, steps + 1):
            mean = self.load_at(target, now + k * STEP)
            points.append(
                ForecastPoint(
                    at=now + k * STEP,
                    mean=mean,
                    lower=max(0.0, mean * (1 + z_low * SPREAD)),
                    upper=mean * (1 + z_high * SPREAD),
                )
            )
        model = next(m.version for m in target.models if m.promoted)
        return ForecastRecord(
            target=target.name, issued_at=now, model=model, quantile=quantile, points=tuple(points)
        )

    def _replicas(self, target: FakeTarget, load: float) -> int:
        wanted = math.ceil(load / target.load_per_replica)
        return max(target.min_replicas, min(target.max_replicas, wanted))

    def _plan(self, target: FakeTarget, quantile: float) -> CapacityPlan:
        now = self._clock.now()
        name = TargetName(target.name)
        reactive = self._replicas(target, self.load_at(target, now))
        hpa = PlanStep(name="reactive", replicas=reactive, reason=f"HPA formula: {reactive}")
        trained = any(m.promoted for m in target.models)
        if target.paused or target.mode is Mode.REACTIVE or not trained:
            reason = "forecast not trusted"
            if not trained:
                reason = "no model yet"
            if target.paused:
                reason = "paused by an operator"
            return CapacityPlan(
                target=name, at=now, mode=Mode.REACTIVE, mode_reason=reason, floor=None,
                desired=reactive, reactive=reactive, steps=(hpa,),
            )  # fmt: skip
        forecast = self._forecast(target, max(1, int(target.lead_time / STEP)), quantile)
        peak = max(p.upper or p.mean for p in forecast.points)
        predictive = self._replicas(target, peak)
        floor = max(predictive, reactive)
        sized = f"p{quantile * 100:g} peak {peak:.0f} / {target.load_per_replica:g} per replica"
        return CapacityPlan(
            target=name, at=now, mode=target.mode, mode_reason="forecast healthy", floor=floor,
            desired=floor, reactive=reactive, predictive=predictive, forecast_peak=peak,
            window_start=forecast.points[0].at, window_end=forecast.points[-1].at,
            quantile=quantile, model=forecast.model,
            steps=(
                PlanStep(name="forecast", replicas=predictive, reason=sized),
                hpa,
                PlanStep(name="floor", replicas=floor, reason=f"floor {floor}: max of the two"),
            ),
        )  # fmt: skip

    def _status(self, target: FakeTarget) -> TargetStatus:
        plan = self._plan(target, target.quantile)
        now = self._clock.now()
        model = next((m.version for m in target.models if m.promoted), None)
        accuracy = AccuracySnapshot(
            horizon=int(target.lead_time / STEP), scored=60, mae=SPREAD * target.base_load * 0.8,
            mean_actual=target.base_load, skill=0.7, under_rate=1 - target.quantile, bias=-0.01,
        ) if model else None  # fmt: skip
        return TargetStatus(
            name=target.name, ref=f"hpa/{target.name}", mode=plan.mode.value,
            mode_reason=plan.mode_reason, floor=plan.floor, reactive=plan.reactive,
            desired=plan.desired, current_replicas=plan.reactive, model=model, accuracy=accuracy,
            last_decision_at=now, last_error=None, paused=target.paused, forecast_only=False,
            quantile=target.quantile, lead_time_seconds=target.lead_time.total_seconds(),
            training_start=now - timedelta(days=14) if target.models else None,
            training_end=now if target.models else None,
        )  # fmt: skip
