"""Seed a `RecordStore` with a consistent history: decisions each step, forecasts every few.

Forecasts are the actual load times a fixed ``bias`` with a band of fixed ratios around it, so the
accuracy the API reports can be checked by hand: MAE = (bias - 1) x mean load, and the share of
actuals above the band's top is known. Replicas follow the planner's arithmetic (ceil of load
over load per replica).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from forescale.scaler.controller.view import RecordStore
from forescale.scaler.domain import PlanStep
from forescale.scaler.records import AccuracyRecord, DecisionRecord, ForecastPoint, ForecastRecord

Loads = Sequence[tuple[datetime, float]]


@dataclass(frozen=True, kw_only=True)
class Shape:
    bias: float = 1.1
    low: float = 0.8
    """Band bottom / mean."""
    high: float = 1.25
    """Band top / mean."""
    lead: timedelta = timedelta(minutes=5)
    issue_every: int = 5
    """Issue a forecast every this many steps."""
    horizon: int = 30
    load_per_replica: float = 80.0


def replicas(load: float, shape: Shape) -> int:
    return max(1, math.ceil(load / shape.load_per_replica))


def seed(store: RecordStore, target: str, loads: Loads, shape: Shape = Shape()) -> None:
    by_time = dict(loads)
    times = [t for t, _ in loads]
    step = times[1] - times[0]
    lead_steps = int(shape.lead / step)
    for i, (at, load) in enumerate(loads):
        if i % shape.issue_every == 0:
            points = tuple(
                ForecastPoint(at=t, mean=shape.bias * v, lower=shape.low * shape.bias * v,
                              upper=shape.high * shape.bias * v)
                for t in (at + k * step for k in range(1, shape.horizon + 1))
                if (v := by_time.get(t)) is not None
            )  # fmt: skip
            store.record_forecast(
                ForecastRecord(target=target, issued_at=at, model="v1", quantile=0.9, points=points)
            )
        ahead = loads[min(i + lead_steps, len(loads) - 1)][1]
        floor = replicas(shape.high * shape.bias * ahead, shape)
        reactive = replicas(load, shape)
        store.record_decision(decision(target, at, load=load, floor=floor, reactive=reactive))
        if i % 10 == 0:
            store.record_accuracy(
                AccuracyRecord(target=target, at=at, horizon_seconds=shape.lead.total_seconds(),
                               scored=i, mae=(shape.bias - 1) * load, relative_error=shape.bias - 1,
                               skill=0.6, under_rate=0.0, bias=shape.bias - 1)
            )  # fmt: skip


def decision(
    target: str, at: datetime, *, load: float | None, floor: int | None, reactive: int
) -> DecisionRecord:
    desired = max(floor or 0, reactive)
    steps = (
        PlanStep(name="forecast", replicas=floor, reason=f"floor {floor} because p90 forecast"),
        PlanStep(name="reactive", replicas=reactive, reason=f"HPA formula says {reactive}"),
    )
    return DecisionRecord(
        target=target, at=at, load=load, mode="predictive", mode_reason="forecast healthy",
        floor=floor, desired=desired, reactive=reactive, predictive=floor, scheduled=None,
        current_replicas=reactive, model="v1", quantile=0.9, forecast_peak=load,
        window_start=at, window_end=at + timedelta(minutes=5), steps=steps,
        action="raise" if floor and floor > reactive else "noop", dry_run=False,
    )  # fmt: skip


def daily_loads(end: datetime, *, hours: int, base: float = 600.0) -> list[tuple[datetime, float]]:
    """One value a minute over ``hours`` up to ``end`` (exclusive): a daily cycle."""
    start = end - timedelta(hours=hours)
    out = []
    for k in range(hours * 60):
        at = start + timedelta(minutes=k)
        day = (at.timestamp() % 86400) / 86400
        out.append((at, base * (1 + 0.5 * math.sin(2 * math.pi * day))))
    return out
