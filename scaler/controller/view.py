"""What the controller exposes to the SRE API: the narrow seam between `service` and `scaler`.

The FastAPI shell only parses, calls these methods and serialises; everything it shows comes from
here (live state) or from a `RecordStore` (history that survives restarts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from forescale.scaler.domain import CapacityPlan
from forescale.scaler.errors import ScalerError
from forescale.scaler.planning.ledger import AccuracySnapshot
from forescale.scaler.records import AccuracyRecord, DecisionRecord, ForecastRecord

__all__ = [
    "ControllerView",
    "ModelInfo",
    "RecordStore",
    "TargetStatus",
    "UnknownTarget",
]


class UnknownTarget(ScalerError, KeyError):
    """No target by that name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetStatus:
    name: str
    ref: str
    """The scaled object, e.g. ``hpa/shop/checkout`` or ``asg/eu-west-1/web``."""
    mode: str
    mode_reason: str
    floor: int | None
    reactive: int | None
    desired: int | None
    current_replicas: int | None
    model: str | None
    accuracy: AccuracySnapshot | None
    last_decision_at: datetime | None
    last_error: str | None
    paused: bool
    forecast_only: bool
    quantile: float
    lead_time_seconds: float
    training_start: datetime | None
    training_end: datetime | None
    tuning: dict[str, Any] | None = None
    """The newest self-tuning (`scaler.tuning.report.tuning_status`); None before the first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInfo:
    version: str
    promoted: bool
    card: dict[str, object]
    """The model card (JSON-able): model, params, training window, fingerprint, metrics, ..."""
    error: str | None = None
    """Why this version cannot be used (corrupt, unreadable; its card is then empty)."""


class ControllerView(Protocol):
    @property
    def ready(self) -> bool:
        """Targets and models loaded (readiness)."""
        ...

    def targets(self) -> list[TargetStatus]: ...

    def target(self, name: str) -> TargetStatus:
        """Raises `UnknownTarget`."""
        ...

    def forecast(
        self, name: str, *, horizon_steps: int, quantile: float | None = None
    ) -> ForecastRecord:
        """A fresh forecast from the target's fitted model (`ForecastUnavailable` if none)."""
        ...

    def dry_run_plan(self, name: str, *, quantile: float | None = None) -> CapacityPlan:
        """What the controller would decide now, optionally for another quantile; writes nothing."""
        ...

    def tuning(self, name: str) -> dict[str, Any]:
        """The newest self-tuning with the HPA's frontier and every candidate
        (`scaler.tuning.report.tuning_detail`); `NotTunedYet` before the first."""
        ...

    def models(self, name: str) -> list[ModelInfo]: ...

    def retrain(self, name: str) -> ModelInfo:
        """Refit now (and store the model when a model store is configured)."""
        ...

    def promote(self, name: str, version: str) -> ModelInfo: ...

    def set_paused(self, name: str, paused: bool, *, by: str = "api") -> TargetStatus:
        """A paused target gets its floor released and is not actuated until resumed, by
        whichever replica leads (stored durably; ``by`` names who asked)."""
        ...


class RecordStore(Protocol):
    """History of decisions, forecasts and accuracy (SQLite/PostgreSQL, or memory)."""

    def record_decision(self, record: DecisionRecord) -> None: ...

    def record_forecast(self, record: ForecastRecord) -> None: ...

    def record_accuracy(self, record: AccuracyRecord) -> None: ...

    def decisions(
        self, target: str, *, start: datetime, end: datetime, limit: int = 100, offset: int = 0
    ) -> Sequence[DecisionRecord]: ...

    def forecasts(
        self, target: str, *, start: datetime, end: datetime
    ) -> Sequence[ForecastRecord]: ...

    def accuracy(
        self, target: str, *, start: datetime, end: datetime
    ) -> Sequence[AccuracyRecord]: ...

    def purge(self, *, before: datetime) -> int:
        """Retention: delete records older than ``before``; returns how many."""
        ...
