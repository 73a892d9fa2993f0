"""Publishing a target's coming floors as the scaled object's own schedule (ASG scheduled actions).

With ``publishSchedule`` an Auto Scaling group carries the next hours of forecast floors as
scheduled actions, so it still pre-scales if the controller is down. Every ``every`` the controller
forecasts ``horizon`` ahead, turns the sized quantile into floors, keeps the highest per
``bucket`` (a scheduled action per minute would be noise), and replaces the published schedule;
when the target falls back to reactive (or is paused or removed) the schedule is cleared.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import numpy as np

from forescale.models.base import Forecast
from forescale.scaler.domain import AsgRef, ScalingPolicy, TargetSpec
from forescale.scaler.errors import ForecastUnavailable, ScalerError

__all__ = [
    "SCHEDULE_BUCKET",
    "SCHEDULE_EVERY",
    "SCHEDULE_HORIZON",
    "ScheduleKeeper",
    "SchedulePublisher",
    "floors_from_forecast",
]

SCHEDULE_EVERY = timedelta(minutes=15)
SCHEDULE_HORIZON = timedelta(hours=3)
SCHEDULE_BUCKET = timedelta(minutes=15)


@runtime_checkable
class SchedulePublisher(Protocol):
    """An actuator that can also hold a schedule of floors (the ASG actuator and its twin)."""

    def publish_schedule(
        self,
        ref: AsgRef,
        floors: Sequence[tuple[datetime, int]],
        *,
        now: datetime,
        until: datetime | None = None,
        dry_run: bool = False,
    ) -> object: ...

    def clear_schedule(self, ref: AsgRef, *, dry_run: bool = False) -> object: ...


def floors_from_forecast(
    forecast: Forecast, *, policy: ScalingPolicy, bucket: timedelta
) -> list[tuple[datetime, int]]:
    """(start of each bucket, floor) from the forecast's sized quantile: the highest floor in the
    bucket, so a scheduled action covers its whole span; consecutive equal floors are merged."""
    values = np.asarray(forecast.quantile(policy.quantile), dtype=float)
    per = policy.load_per_replica
    out: list[tuple[datetime, int]] = []
    start = forecast.index[0].to_pydatetime()
    for i, ts in enumerate(forecast.index):
        at = ts.to_pydatetime()
        slot = start + ((at - start) // bucket) * bucket
        need = math.ceil(max(values[i], 0.0) / per - 1e-9) if np.isfinite(values[i]) else 0
        floor = max(policy.min_replicas, min(policy.max_replicas, need))
        if out and out[-1][0] == slot:
            out[-1] = (slot, max(out[-1][1], floor))
        else:
            out.append((slot, floor))
    merged: list[tuple[datetime, int]] = []
    for slot, floor in out:
        if not merged or merged[-1][1] != floor:
            merged.append((slot, floor))
    return merged


class ScheduleKeeper:
    """One target's published schedule: when it was last published and whether one is up.

    `publish` replaces it at most every ``every`` (an ASG's scheduled actions are API calls,
    and floors move slowly); `clear` removes it (fallback to reactive, pause, removal). Both
    return the error text on failure (the cycle goes on; the next one tries again)."""

    def __init__(self, *, every: timedelta = SCHEDULE_EVERY) -> None:
        self.every = every
        self._at: datetime | None = None
        self._up = False

    def keep(
        self,
        actuator: object,
        spec: TargetSpec,
        *,
        predictive: bool,
        band: Callable[[int], Forecast],
        now: datetime,
        dry_run: bool,
    ) -> str | None:
        """A ``publishSchedule`` ASG target's schedule after a decision: the coming floors from
        ``band(steps)`` (the band the floor is sized on) while ``predictive``, else none."""
        ref = spec.ref
        if not (spec.publish_schedule and isinstance(ref, AsgRef)):
            return None
        if not isinstance(actuator, SchedulePublisher):
            return None
        if not predictive:
            return self.clear(actuator, ref, dry_run=dry_run)
        if self._at is not None and now - self._at < self.every:
            return None
        try:
            fc = band(math.ceil(SCHEDULE_HORIZON / spec.step))
        except ForecastUnavailable:
            return None
        floors = floors_from_forecast(fc, policy=spec.policy, bucket=SCHEDULE_BUCKET)
        return self.publish(actuator, ref, floors, now=now, dry_run=dry_run)

    def publish(
        self,
        actuator: SchedulePublisher,
        ref: AsgRef,
        floors: Sequence[tuple[datetime, int]],
        *,
        now: datetime,
        dry_run: bool,
    ) -> str | None:
        try:
            actuator.publish_schedule(ref, floors, now=now, dry_run=dry_run)
        except ScalerError as exc:
            return f"schedule: {exc}"
        self._at = now
        self._up = self._up or not dry_run
        return None

    def clear(self, actuator: object, ref: AsgRef, *, dry_run: bool) -> str | None:
        if not self._up or not isinstance(actuator, SchedulePublisher):
            return None
        try:
            actuator.clear_schedule(ref, dry_run=dry_run)
        except ScalerError as exc:
            return f"schedule: {exc}"
        if not dry_run:
            self._up, self._at = False, None
        return None
