"""What the controller records each cycle, for the API, the store and telemetry.

Plain frozen values built from a `CapacityPlan` and the policy's live accuracy. The SRE API reads
them back (from memory, SQLite or PostgreSQL) to answer "what did it decide, and why?" for any
past time range, also after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from forescale.scaler.domain import ActuationResult, CapacityPlan, PlanStep

__all__ = [
    "AccuracyRecord",
    "DecisionRecord",
    "ForecastPoint",
    "ForecastRecord",
    "Recorder",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    target: str
    at: datetime
    load: float | None
    """The newest observed load when deciding (None: no data)."""
    mode: str
    mode_reason: str
    floor: int | None
    desired: int
    reactive: int
    predictive: int | None
    scheduled: int | None
    current_replicas: int | None
    model: str | None
    quantile: float | None
    forecast_peak: float | None
    window_start: datetime | None
    window_end: datetime | None
    steps: tuple[PlanStep, ...]
    action: str
    """What the actuator did: raise, lower, restore, noop (or "error")."""
    dry_run: bool
    error: str | None = None

    @property
    def explanation(self) -> str:
        return "; ".join(s.reason for s in self.steps)

    @classmethod
    def build(
        cls,
        plan: CapacityPlan,
        *,
        load: float | None,
        current_replicas: int | None,
        actuation: ActuationResult | None,
        dry_run: bool,
        error: str | None = None,
    ) -> DecisionRecord:
        return cls(
            target=plan.target, at=plan.at, load=load, mode=plan.mode.value,
            mode_reason=plan.mode_reason, floor=plan.floor, desired=plan.desired,
            reactive=plan.reactive, predictive=plan.predictive, scheduled=plan.scheduled,
            current_replicas=current_replicas, model=plan.model, quantile=plan.quantile,
            forecast_peak=plan.forecast_peak, window_start=plan.window_start,
            window_end=plan.window_end, steps=plan.steps,
            action="error" if error else (actuation.action if actuation else "noop"),
            dry_run=dry_run, error=error,
        )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastPoint:
    at: datetime
    mean: float
    lower: float | None
    """The 10th percentile (None where not forecast)."""
    upper: float | None
    """The sized quantile (e.g. p90), calibrated on live errors when available."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastRecord:
    target: str
    issued_at: datetime
    model: str
    quantile: float
    points: tuple[ForecastPoint, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AccuracyRecord:
    target: str
    at: datetime
    horizon_seconds: float
    scored: int
    mae: float | None
    relative_error: float | None
    skill: float | None
    under_rate: float | None
    bias: float | None


class Recorder(Protocol):
    """Where the controller writes what it decided (the API store, or memory)."""

    def record_decision(self, record: DecisionRecord) -> None: ...

    def record_forecast(self, record: ForecastRecord) -> None: ...

    def record_accuracy(self, record: AccuracyRecord) -> None: ...
