"""Publishing a target's coming floors as the scaled object's own schedule (ASG scheduled actions).

With ``publishSchedule`` an Auto Scaling group carries the next hours of forecast floors as
scheduled actions, so it still pre-scales if the controller is down. Every ``every`` the controller
forecasts ``horizon`` ahead, turns the sized quantile into floors, keeps the highest per
``bucket`` (a scheduled action per minute would be noise), and replaces the published schedule;
when the target falls back to reactive (or is paused or removed) the schedule is cleared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import numpy as np

from forescale.models.base import Forecast
from forescale.scaler.domain import AsgRef, ScalingPolicy

__all__ = ["SchedulePublisher", "floors_from_forecast"]


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
