"""Forecast versus actual from the history: what was predicted for a time, and what arrived.

For each recorded decision with an observed load at ``t``, the forecast to compare is the newest
one issued at least ``horizon`` before ``t`` whose path covers ``t`` (linearly interpolated between
its points). With ``horizon`` = the target's lead time this scores exactly the forecasts the floors
were sized on. Pure: records in, pairs out.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from forescale.models.accuracy import mean_of, wape
from forescale.scaler.records import DecisionRecord, ForecastPoint, ForecastRecord

__all__ = ["Pair", "Summary", "pairs", "summarize", "value_at"]

_LOOK_BACK = 8
"""Older forecasts tried when the newest eligible one does not cover ``t`` (e.g. a gap)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:
    at: datetime
    actual: float
    mean: float
    lower: float | None
    upper: float | None
    issued_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    pairs: int
    mae: float | None
    wape: float | None
    under_rate: float | None


def _lerp(a: float | None, b: float | None, w: float) -> float | None:
    if a is None or b is None:
        return None
    return a + (b - a) * w


def _time(point: ForecastPoint) -> datetime:
    return point.at


def value_at(points: Sequence[ForecastPoint], at: datetime) -> ForecastPoint | None:
    """The path's point at ``at`` (interpolated), or None outside the path."""
    i = bisect.bisect_left(points, at, key=_time)
    if i < len(points) and points[i].at == at:
        return points[i]
    if i == 0 or i == len(points):
        return None
    before, after = points[i - 1], points[i]
    w = (at - before.at) / (after.at - before.at)
    return ForecastPoint(
        at=at,
        mean=before.mean + (after.mean - before.mean) * w,
        lower=_lerp(before.lower, after.lower, w),
        upper=_lerp(before.upper, after.upper, w),
    )


def pairs(
    forecasts: Sequence[ForecastRecord],
    decisions: Iterable[DecisionRecord],
    *,
    horizon: timedelta,
    banded: bool = False,
) -> list[Pair]:
    """One pair per decision with a finite load that some early-enough forecast covered.

    ``forecasts`` must be in issue order (as every store returns them). ``banded``: only use
    forecast points that carry the sized quantile (controllers often size only the lead window
    and leave the rest of the path without bounds).
    """
    issued = [f.issued_at for f in forecasts]
    out: list[Pair] = []
    for decision in decisions:
        if decision.load is None or not math.isfinite(decision.load):
            continue
        newest = bisect.bisect_right(issued, decision.at - horizon)
        for index in range(newest - 1, max(newest - _LOOK_BACK, 0) - 1, -1):
            forecast = forecasts[index]
            point = value_at(forecast.points, decision.at)
            if point is None or not math.isfinite(point.mean):
                continue
            if not banded or point.upper is not None:
                out.append(
                    Pair(at=decision.at, actual=decision.load, mean=point.mean, lower=point.lower,
                         upper=point.upper, issued_at=forecast.issued_at)
                )  # fmt: skip
                break
    return out


def summarize(scored: Sequence[Pair]) -> Summary:
    """MAE, WAPE and under-forecast rate (actual above the band's top) of ``scored``."""
    if not scored:
        return Summary(pairs=0, mae=None, wape=None, under_rate=None)
    errors = sum(abs(p.actual - p.mean) for p in scored)
    total = sum(abs(p.actual) for p in scored)
    banded = [p for p in scored if p.upper is not None]
    under = sum(p.actual > p.upper for p in banded if p.upper is not None)
    return Summary(
        pairs=len(scored),
        mae=mean_of(errors, len(scored)),
        wape=wape(errors, total),
        under_rate=mean_of(under, len(banded)),
    )
