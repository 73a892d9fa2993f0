"""Records to rows and back, for `SqlRecordStore`.

Non-finite floats: PostgreSQL JSON cannot hold NaN and SQLite turns NaN into NULL, so every
non-finite number is stored as NULL on both databases and read back as ``None`` (optional fields)
or NaN (a forecast mean, which is required). Forecast points are stored compactly as
``[epoch_microseconds, mean, lower, upper]`` (integers: exact, unlike float seconds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from forescale.scaler.domain import PlanStep
from forescale.scaler.records import AccuracyRecord, DecisionRecord, ForecastPoint, ForecastRecord
from forescale.scaler.store.query import check_time

__all__ = [
    "clean_accuracy",
    "clean_decision",
    "clean_forecast",
    "accuracy_from_row",
    "accuracy_row",
    "decision_from_row",
    "decision_row",
    "forecast_from_row",
    "forecast_row",
]

_DECISION_FIELDS = (
    "target", "at", "load", "mode", "mode_reason", "floor", "desired", "reactive", "predictive",
    "scheduled", "current_replicas", "model", "quantile", "forecast_peak", "window_start",
    "window_end", "action", "dry_run", "error",
)  # fmt: skip
_ACCURACY_FIELDS = (
    "target", "at", "horizon_seconds", "scored", "mae", "relative_error", "skill", "under_rate",
    "bias",
)  # fmt: skip


R = TypeVar("R", DecisionRecord, AccuracyRecord)
_OPTIONAL_DECISION = ("load", "quantile", "forecast_peak")
_OPTIONAL_ACCURACY = ("mae", "relative_error", "skill", "under_rate", "bias")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(at: datetime) -> int:
    return (check_time(at, "forecast point time") - _EPOCH) // _MICROSECOND


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _clean(value: Any) -> Any:
    return finite(value) if isinstance(value, float) else value


def _cleaned(record: R, numbers: tuple[str, ...], times: tuple[str, ...]) -> R:
    changes: dict[str, Any] = {
        name: None
        for name in numbers
        if (value := getattr(record, name)) is not None and not math.isfinite(value)
    }
    for name in times:
        value = getattr(record, name)
        if value is not None and value.tzinfo is not UTC:
            changes[name] = check_time(value, f"{type(record).__name__}.{name}")
    return replace(record, **changes) if changes else record


def clean_decision(record: DecisionRecord) -> DecisionRecord:
    """``record`` as every store gives it back: times in UTC (naive ones refused with
    `ValueError`), non-finite optional numbers None."""
    return _cleaned(record, _OPTIONAL_DECISION, ("at", "window_start", "window_end"))


def clean_accuracy(record: AccuracyRecord) -> AccuracyRecord:
    return _cleaned(record, _OPTIONAL_ACCURACY, ("at",))


def clean_forecast(record: ForecastRecord) -> ForecastRecord:
    """Times in UTC; non-finite bounds None and a non-finite mean NaN (the mean is required)."""

    def point(p: ForecastPoint) -> ForecastPoint:
        return ForecastPoint(
            at=check_time(p.at, "ForecastPoint.at"),
            mean=p.mean if math.isfinite(p.mean) else math.nan,
            lower=finite(p.lower),
            upper=finite(p.upper),
        )

    issued_at = check_time(record.issued_at, "ForecastRecord.issued_at")
    return replace(record, issued_at=issued_at, points=tuple(point(p) for p in record.points))


def decision_row(record: DecisionRecord) -> dict[str, Any]:
    record = clean_decision(record)
    row = {name: _clean(getattr(record, name)) for name in _DECISION_FIELDS}
    row["steps"] = [
        {"name": s.name, "replicas": s.replicas, "reason": s.reason} for s in record.steps
    ]
    return row


def decision_from_row(row: Mapping[str, Any]) -> DecisionRecord:
    steps = tuple(
        PlanStep(name=s["name"], replicas=s["replicas"], reason=s["reason"]) for s in row["steps"]
    )
    return DecisionRecord(**{name: row[name] for name in _DECISION_FIELDS}, steps=steps)


def forecast_row(record: ForecastRecord) -> dict[str, Any]:
    record = clean_forecast(record)
    points = [
        [_micros(p.at), finite(p.mean), finite(p.lower), finite(p.upper)] for p in record.points
    ]
    return {
        "target": record.target,
        "issued_at": record.issued_at,
        "model": record.model,
        "quantile": record.quantile,
        "points": points,
        "notes": list(record.notes),
    }


def forecast_from_row(row: Mapping[str, Any]) -> ForecastRecord:
    points = tuple(
        ForecastPoint(
            at=_EPOCH + int(at) * _MICROSECOND,
            mean=math.nan if mean is None else float(mean),
            lower=None if lower is None else float(lower),
            upper=None if upper is None else float(upper),
        )
        for at, mean, lower, upper in row["points"]
    )
    return ForecastRecord(
        target=row["target"],
        issued_at=row["issued_at"],
        model=row["model"],
        quantile=row["quantile"],
        points=points,
        notes=tuple(row["notes"]),
    )


def accuracy_row(record: AccuracyRecord) -> dict[str, Any]:
    record = clean_accuracy(record)
    return {name: _clean(getattr(record, name)) for name in _ACCURACY_FIELDS}


def accuracy_from_row(row: Mapping[str, Any]) -> AccuracyRecord:
    return AccuracyRecord(**{name: row[name] for name in _ACCURACY_FIELDS})
