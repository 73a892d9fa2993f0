"""The API's JSON shapes (pydantic), separate from the domain values they are built from.

Domain objects stay plain dataclasses; these models only exist at the HTTP boundary, so the API
can stay stable while the core changes. Each has an ``of(...)`` constructor from its domain value.
Non-finite numbers become ``null`` (JSON has no NaN).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from forescale.scaler.controller.view import ModelInfo, TargetStatus
from forescale.scaler.domain import CapacityPlan, PlanStep
from forescale.scaler.planning.ledger import AccuracySnapshot
from forescale.scaler.records import AccuracyRecord, DecisionRecord, ForecastPoint, ForecastRecord
from forescale.scaler.store.compare import Pair, Summary

__all__ = [
    "AccuracyHistoryOut",
    "AccuracyOut",
    "AccuracyRecordOut",
    "AccuracySummary",
    "DecisionOut",
    "DecisionPage",
    "ForecastOut",
    "ForecastPointOut",
    "ModelOut",
    "PairOut",
    "PlanOut",
    "Problem",
    "StepOut",
    "TargetOut",
    "Window",
    "jsonable",
]


def jsonable(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (model cards may hold NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _num(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Problem(_Out):
    """An error (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = Field(
        default=None, description="For 422: one entry per invalid parameter."
    )


class Window(_Out):
    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: datetime | None, end: datetime | None) -> Window | None:
        return cls(start=start, end=end) if start is not None and end is not None else None


class AccuracyOut(_Out):
    """Live accuracy of the model in use, at the target's lead time."""

    horizon_steps: int
    scored: int = Field(description="Forecast/actual pairs in the rolling window.")
    mae: float | None
    relative_error: float | None = Field(description="MAE / mean actual load.")
    skill: float | None = Field(description="MAE / MAE of persistence; < 1 beats 'no change'.")
    under_rate: float | None = Field(description="Share of actuals above the sized quantile.")
    bias: float | None = Field(description="Mean (forecast - actual) / mean actual.")

    @classmethod
    def of(cls, s: AccuracySnapshot) -> AccuracyOut:
        return cls(
            horizon_steps=s.horizon, scored=s.scored, mae=_num(s.mae),
            relative_error=_num(s.relative_error), skill=_num(s.skill),
            under_rate=_num(s.under_rate), bias=_num(s.bias),
        )  # fmt: skip


class TargetOut(_Out):
    name: str
    ref: str = Field(description="The scaled object, e.g. hpa/shop/checkout.")
    mode: str = Field(description="predictive, degraded or reactive.")
    mode_reason: str
    floor: int | None = Field(description="Floor set now (minReplicas); null while released.")
    reactive: int | None = Field(description="What the HPA formula alone recommends.")
    desired: int | None
    current_replicas: int | None
    paused: bool
    forecast_only: bool
    quantile: float
    lead_time_seconds: float
    model: str | None
    accuracy: AccuracyOut | None
    training_window: Window | None
    last_decision_at: datetime | None
    last_error: str | None
    tuning: dict[str, Any] | None = Field(
        default=None,
        description="Self-tuning: the setting in use, why, when, and the expected replica-hours "
        "and unserved load vs the HPA alone (null before the first tuning).",
    )

    @classmethod
    def of(cls, t: TargetStatus) -> TargetOut:
        return cls(
            name=t.name, ref=t.ref, mode=t.mode, mode_reason=t.mode_reason, floor=t.floor,
            reactive=t.reactive, desired=t.desired, current_replicas=t.current_replicas,
            paused=t.paused, forecast_only=t.forecast_only, quantile=t.quantile,
            lead_time_seconds=t.lead_time_seconds, model=t.model,
            accuracy=AccuracyOut.of(t.accuracy) if t.accuracy else None,
            training_window=Window.of(t.training_start, t.training_end),
            last_decision_at=t.last_decision_at, last_error=t.last_error, tuning=t.tuning,
        )  # fmt: skip


class ModelOut(_Out):
    version: str
    promoted: bool
    card: dict[str, Any] = Field(description="Model card: model, params, training window, ...")
    error: str | None = Field(
        default=None, description="Why this version cannot be used (its card is then empty)."
    )

    @classmethod
    def of(cls, m: ModelInfo) -> ModelOut:
        return cls(
            version=m.version, promoted=m.promoted, card=jsonable(dict(m.card)), error=m.error
        )


class ForecastPointOut(_Out):
    at: datetime
    mean: float | None
    lower: float | None = Field(description="10th percentile (null where not forecast).")
    upper: float | None = Field(description="The requested quantile (the band's top).")

    @classmethod
    def of(cls, p: ForecastPoint) -> ForecastPointOut:
        return cls(at=p.at, mean=_num(p.mean), lower=_num(p.lower), upper=_num(p.upper))


class ForecastOut(_Out):
    target: str
    issued_at: datetime
    model: str
    quantile: float
    points: list[ForecastPointOut]
    notes: list[str]
    model_version: str | None = Field(description="The promoted model's version, if stored.")
    model_card: dict[str, Any] | None
    training_window: Window | None

    @classmethod
    def of(
        cls, f: ForecastRecord, *, status: TargetStatus, promoted: ModelInfo | None
    ) -> ForecastOut:
        return cls(
            target=f.target, issued_at=f.issued_at, model=f.model, quantile=f.quantile,
            points=[ForecastPointOut.of(p) for p in f.points], notes=list(f.notes),
            model_version=promoted.version if promoted else None,
            model_card=jsonable(dict(promoted.card)) if promoted else None,
            training_window=Window.of(status.training_start, status.training_end),
        )  # fmt: skip


class StepOut(_Out):
    name: str
    replicas: int | None
    reason: str

    @classmethod
    def of(cls, s: PlanStep) -> StepOut:
        return cls(name=s.name, replicas=s.replicas, reason=s.reason)


class PlanOut(_Out):
    """A capacity plan: what the controller would do, with the reason for every step."""

    target: str
    at: datetime
    mode: str
    mode_reason: str
    floor: int | None
    desired: int
    reactive: int
    predictive: int | None
    scheduled: int | None
    forecast_peak: float | None
    window: Window | None = Field(description="The forecast window the floor was sized for.")
    quantile: float | None
    model: str | None
    steps: list[StepOut]
    explanation: str

    @classmethod
    def of(cls, p: CapacityPlan) -> PlanOut:
        return cls(
            target=p.target, at=p.at, mode=p.mode.value, mode_reason=p.mode_reason, floor=p.floor,
            desired=p.desired, reactive=p.reactive, predictive=p.predictive,
            scheduled=p.scheduled, forecast_peak=_num(p.forecast_peak),
            window=Window.of(p.window_start, p.window_end), quantile=p.quantile, model=p.model,
            steps=[StepOut.of(s) for s in p.steps], explanation=p.explain(),
        )  # fmt: skip


class DecisionOut(_Out):
    at: datetime
    load: float | None
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
    window: Window | None
    steps: list[StepOut]
    explanation: str
    action: str = Field(description="raise, lower, restore, noop or error.")
    dry_run: bool
    error: str | None

    @classmethod
    def of(cls, d: DecisionRecord) -> DecisionOut:
        return cls(
            at=d.at, load=_num(d.load), mode=d.mode, mode_reason=d.mode_reason, floor=d.floor,
            desired=d.desired, reactive=d.reactive, predictive=d.predictive,
            scheduled=d.scheduled, current_replicas=d.current_replicas, model=d.model,
            quantile=d.quantile, forecast_peak=_num(d.forecast_peak),
            window=Window.of(d.window_start, d.window_end),
            steps=[StepOut.of(s) for s in d.steps], explanation=d.explanation or d.mode_reason,
            action=d.action, dry_run=d.dry_run, error=d.error,
        )  # fmt: skip


class DecisionPage(_Out):
    target: str
    start: datetime
    end: datetime
    limit: int
    offset: int
    next_offset: int | None = Field(description="Pass as offset for the next page; null at end.")
    items: list[DecisionOut] = Field(description="Oldest first.")

    @classmethod
    def of(
        cls, target: str, rows: Sequence[DecisionRecord], *, window: Window, limit: int, offset: int
    ) -> DecisionPage:
        more = len(rows) > limit
        return cls(
            target=target, start=window.start, end=window.end, limit=limit, offset=offset,
            next_offset=offset + limit if more else None,
            items=[DecisionOut.of(d) for d in rows[:limit]],
        )  # fmt: skip


class AccuracyRecordOut(_Out):
    """Rolling accuracy as the controller recorded it at ``at``."""

    at: datetime
    horizon_seconds: float
    scored: int
    mae: float | None
    relative_error: float | None
    skill: float | None
    under_rate: float | None
    bias: float | None

    @classmethod
    def of(cls, a: AccuracyRecord) -> AccuracyRecordOut:
        return cls(
            at=a.at, horizon_seconds=a.horizon_seconds, scored=a.scored, mae=_num(a.mae),
            relative_error=_num(a.relative_error), skill=_num(a.skill),
            under_rate=_num(a.under_rate), bias=_num(a.bias),
        )  # fmt: skip


class PairOut(_Out):
    """The load that arrived at ``at`` next to what was forecast for it ``horizon`` before."""

    at: datetime
    actual: float
    mean: float
    lower: float | None
    upper: float | None
    issued_at: datetime

    @classmethod
    def of(cls, p: Pair) -> PairOut:
        return cls(
            at=p.at, actual=p.actual, mean=p.mean, lower=_num(p.lower), upper=_num(p.upper),
            issued_at=p.issued_at,
        )  # fmt: skip


class AccuracySummary(_Out):
    pairs: int
    mae: float | None
    wape: float | None = Field(description="sum |actual - mean| / sum actual.")
    under_rate: float | None = Field(description="Share of actuals above the band's top.")

    @classmethod
    def of(cls, s: Summary) -> AccuracySummary:
        return cls(pairs=s.pairs, mae=_num(s.mae), wape=_num(s.wape), under_rate=_num(s.under_rate))


class AccuracyHistoryOut(_Out):
    target: str
    start: datetime
    end: datetime
    horizon_seconds: float
    rolling: list[AccuracyRecordOut]
    pairs: list[PairOut]
    summary: AccuracySummary
