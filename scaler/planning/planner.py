"""Turn a forecast into a replica floor: pure code, data and an explicit ``now`` in, a plan out.

The floor is the peak of the forecast quantile over the window new replicas must serve,
``(now + lead_time, now + lead_time + interval]``, divided by the load one replica should carry
(capacity x target utilisation), rounded up. Because lowering a floor removes replicas at once
while a replacement needs ``lead_time`` to become ready, the floor also *holds* what the forecast
needs over ``(now, now + lead_time]``: without that, a floor sized only for the later window lets
capacity drop just before a peak that nothing can then serve in time (in trace replay this alone
doubles the unserved load, even with perfect foresight).

The predictive part is only ever a floor: the reactive autoscaler (HPA/ASG) keeps scaling above it,
so the expected replicas are ``max(floor, reactive)``, clamped to ``[min, max]``. Every step records
its reason so a decision can be explained.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from forescale.models.base import Forecast
from forescale.scaler.domain import CapacityPlan, Mode, PlanStep, ScalingPolicy, TargetName
from forescale.scaler.planning.hysteresis import FloorHysteresis, settle
from forescale.scaler.units import format_duration

__all__ = ["PlanInputs", "forecast_window", "plan"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanInputs:
    target: TargetName
    policy: ScalingPolicy
    now: datetime
    mode: Mode
    mode_reason: str
    reactive: int
    """The reactive recommendation (the HPA algorithm's answer for the current load)."""
    reactive_reason: str = ""
    forecast: Forecast | None = None
    """Quantile forecast whose index covers ``(now, now + lead_time + interval]``."""
    previous_floor: int | None = None
    """The floor of the last decision; in degraded mode a doubtful forecast may not raise it."""
    recent_floor: int | None = None
    """The highest floor sized within the stabilization window before now: those floors were
    sized for times still ahead, so a lower one waits until they have all passed."""
    object_max: int | None = None
    """The scaled object's own maximum (HPA maxReplicas / ASG MaxSize), when known."""
    hysteresis: FloorHysteresis | None = None
    """Dead band and persistence against floor wobble (None: every change is written)."""
    recent_proposals: tuple[int | None, ...] = ()
    """The floors proposed (before hysteresis) within the persistence time before now."""
    proposals_persisted: bool = False
    """Whether those proposals and this cycle's span the whole persistence time."""
    unit: str = ""
    explain: bool = True
    """Format the reasons of each step (off in trace replay, where nobody reads them)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowPeak:
    value: float
    at: datetime
    start: datetime
    end: datetime


def forecast_window(
    forecast: Forecast, *, quantile: float, start: datetime, end: datetime
) -> WindowPeak | None:
    """Peak of the forecast ``quantile`` over timestamps in ``(start, end]`` (None if no point)."""
    return _peaks(forecast, quantile=quantile, bounds=(start, end))[0]


def _peaks(
    forecast: Forecast, *, quantile: float, bounds: tuple[datetime, ...]
) -> list[WindowPeak | None]:
    """Peaks over consecutive windows ``(bounds[i], bounds[i+1]]`` with one search.

    Integer stamps are ~100x cheaper to search than Timestamps; the planner runs for every
    target every cycle and every replay step.
    """
    index = forecast.index
    per_second = _UNITS[index.unit]
    stamps = index.asi8  # integers in the index's own unit (pandas 3 often uses microseconds)
    marks = [round(b.timestamp() * per_second) for b in bounds]
    n = len(stamps)
    first = int(stamps[0]) if n else 0
    step = int(stamps[1]) - first if n > 1 else 0
    if step > 0 and int(stamps[-1]) - first == step * (n - 1):  # regular: positions by arithmetic
        cuts = [min(max((mark - first) // step + 1, 0), n) for mark in marks]
    else:
        cuts = np.searchsorted(stamps, marks, side="right").tolist()
    values: list[float] = np.asarray(forecast.quantile(quantile), dtype=float).tolist()
    out: list[WindowPeak | None] = []
    for i in range(len(bounds) - 1):
        lo, hi = cuts[i], cuts[i + 1]
        best, where = -math.inf, -1
        for k in range(lo, hi):  # a handful of points: plain Python beats numpy here
            v = values[k]
            if v > best:  # NaN never compares greater
                best, where = v, k
        if where < 0:
            out.append(None)
            continue
        at = datetime.fromtimestamp(int(stamps[where]) / per_second, tz=UTC)
        out.append(WindowPeak(value=best, at=at, start=bounds[i], end=bounds[i + 1]))
    return out


_UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def plan(inputs: PlanInputs) -> CapacityPlan:
    """The decision for one target at ``inputs.now``; see the module docstring."""
    p = inputs.policy
    upper = p.max_replicas if inputs.object_max is None else min(p.max_replicas, inputs.object_max)
    lower = min(p.min_replicas, upper)
    steps: list[PlanStep] = []
    predictive, sized, peak = _predictive(inputs, steps)
    scheduled = _scheduled(inputs, steps)

    floor: int | None = None
    candidates = [v for v in (predictive, scheduled) if v is not None]
    if candidates:
        floor = max(candidates)
        clamped = max(lower, min(upper, floor))
        if clamped != floor:
            bound = "max" if clamped < floor else "min"
            steps.append(
                PlanStep(
                    name="bounds",
                    replicas=clamped,
                    reason=_why(inputs, lambda: f"clamped {floor} to {bound} {clamped}"),
                )
            )
        floor = clamped
    proposed = floor
    floor = _settle(inputs, proposed, scheduled=scheduled, steps=steps)
    if floor is not None:  # the floor held may predate a lower object maximum
        floor = max(lower, min(upper, floor))
    desired = max(lower, min(upper, max(floor or 0, inputs.reactive)))
    reactive_text = inputs.reactive_reason or f"reactive says {inputs.reactive}"
    steps.append(
        PlanStep(
            name="reactive", replicas=inputs.reactive, reason=_why(inputs, lambda: reactive_text)
        )
    )
    if floor is not None and inputs.reactive > floor:
        steps.append(
            PlanStep(
                name="combine",
                replicas=desired,
                reason=_why(
                    inputs,
                    lambda: (
                        f"reactive {inputs.reactive} is above the floor {floor}: expect {desired}"
                    ),
                ),
            )
        )
    return CapacityPlan(
        target=inputs.target,
        at=inputs.now,
        mode=inputs.mode,
        mode_reason=inputs.mode_reason,
        floor=floor,
        proposed=proposed,
        desired=desired,
        reactive=inputs.reactive,
        predictive=predictive,
        sized=sized,
        scheduled=scheduled,
        forecast_peak=None if peak is None else peak.value,
        window_start=None if peak is None else peak.start,
        window_end=None if peak is None else peak.end,
        quantile=p.quantile if predictive is not None else None,
        model=None if inputs.forecast is None else inputs.forecast.model,
        steps=tuple(steps),
    )


def _predictive(
    inputs: PlanInputs, steps: list[PlanStep]
) -> tuple[int | None, int | None, WindowPeak | None]:
    p, now, fc = inputs.policy, inputs.now, inputs.forecast
    if inputs.mode is Mode.REACTIVE:
        steps.append(
            PlanStep(
                name="mode",
                replicas=None,
                reason=_why(
                    inputs, lambda: f"reactive mode ({inputs.mode_reason}): no forecast floor"
                ),
            )
        )
        return None, None, None
    if fc is None:
        steps.append(
            PlanStep(
                name="forecast", replicas=None, reason=_why(inputs, lambda: "no forecast available")
            )
        )
        return None, None, None
    raise_start, raise_end = now + p.lead_time, now + p.lead_time + p.interval
    hold_peak, raise_peak = _peaks(fc, quantile=p.quantile, bounds=(now, raise_start, raise_end))
    if raise_peak is None and hold_peak is None:
        steps.append(
            PlanStep(
                name="forecast",
                replicas=None,
                reason=_why(inputs, lambda: "the forecast does not cover the lead-time window"),
            )
        )
        return None, None, None
    per = p.load_per_replica
    q = _pct(p.quantile)
    first = raise_peak if raise_peak is not None else hold_peak
    assert first is not None
    peak: WindowPeak = first
    replicas = _replicas(peak.value, per)
    steps.append(
        PlanStep(
            name="forecast",
            replicas=replicas,
            reason=_why(
                inputs,
                lambda: (
                    f"floor {replicas} because the {q} forecast for {_span(peak.start, peak.end)} "
                    f"peaks at {_num(peak.value)}{_unit(inputs.unit)} ({fc.model}; "
                    f"{_num(per)} per replica at {p.target_utilization:.0%} of "
                    f"{_num(p.capacity_per_replica)})"
                ),
            ),
        )
    )
    if hold_peak is not None and _replicas(hold_peak.value, per) > replicas:
        held, hold = _replicas(hold_peak.value, per), hold_peak
        steps.append(
            PlanStep(
                name="hold",
                replicas=held,
                reason=_why(
                    inputs,
                    lambda: (
                        f"holding {held}: the {q} forecast peaks at {_num(hold.value)}"
                        f"{_unit(inputs.unit)} at {hold.at:%H:%M}, sooner than a replacement "
                        f"replica could start ({_dur(p.lead_time)})"
                    ),
                ),
            )
        )
        replicas, peak = held, hold_peak
    sized = replicas
    recent = inputs.recent_floor
    if inputs.mode is Mode.PREDICTIVE and recent is not None and recent > replicas:
        steps.append(
            PlanStep(
                name="stabilize",
                replicas=recent,
                reason=_why(
                    inputs,
                    lambda: (
                        f"keeping {recent}: a floor sized in the last {_dur(p.lead_time)} for "
                        f"times still ahead asked for it"
                    ),
                ),
            )
        )
        replicas = recent
    if (
        inputs.mode is Mode.DEGRADED
        and inputs.previous_floor is not None
        and replicas > inputs.previous_floor
    ):
        steps.append(
            PlanStep(
                name="degraded",
                replicas=inputs.previous_floor,
                reason=_why(
                    inputs,
                    lambda: (
                        f"degraded ({inputs.mode_reason}): a doubtful forecast may not raise the "
                        f"floor above {inputs.previous_floor}"
                    ),
                ),
            )
        )
        replicas = inputs.previous_floor
    return replicas, sized, peak


def _settle(
    inputs: PlanInputs, proposed: int | None, *, scheduled: int | None, steps: list[PlanStep]
) -> int | None:
    """The floor after hysteresis (see `scaler.planning.hysteresis`), never below an active
    scheduled floor (the user asked for that one explicitly)."""
    settings, current = inputs.hysteresis, inputs.previous_floor
    if settings is None or proposed is None or current is None:
        return proposed
    result = settle(
        proposed, current=current, recent=inputs.recent_proposals,
        persisted=inputs.proposals_persisted, settings=settings,
    )  # fmt: skip
    floor = max(result.floor or 0, scheduled or 0)
    if floor == proposed:
        return floor
    held = format_duration(settings.persistence)
    if result.persisted:
        way = "raising" if floor > current else "lowering"
        more = "more" if floor > current else "fewer"
        text = (
            f"{way} only to {floor}: for {held} every forecast asked for {more} than {current} "
            f"replicas, now {proposed}"
        )
    else:
        text = (
            f"keeping {current}: the forecast asks for {proposed}, within the dead band of "
            f"{result.band:g} replica{'' if result.band == 1 else 's'}; a change that small is "
            f"written once it has held for {held}"
        )
    steps.append(PlanStep(name="hysteresis", replicas=floor, reason=_why(inputs, lambda: text)))
    return floor


def _scheduled(inputs: PlanInputs, steps: list[PlanStep]) -> int | None:
    active = [f for f in inputs.policy.scheduled_floors if f.is_active(inputs.now)]
    if not active:
        return None
    top = max(active, key=lambda f: f.min_replicas)
    steps.append(
        PlanStep(
            name="scheduled",
            replicas=top.min_replicas,
            reason=_why(
                inputs, lambda: f"scheduled floor '{top.name}' asks for {top.min_replicas}"
            ),
        )
    )
    return top.min_replicas


def _why(inputs: PlanInputs, text: Callable[[], str]) -> str:
    """A step's reason, formatted only when someone will read it (trace replays make millions
    of plans and show none of their reasons; the numbers are the same either way)."""
    return text() if inputs.explain else ""


def _replicas(load: float, per_replica: float) -> int:
    # A tiny epsilon keeps 12.0000000001 (float noise) from becoming 13.
    return max(0, math.ceil(max(load, 0.0) / per_replica - 1e-9))


def _pct(q: float) -> str:
    return f"p{q * 100:g}"


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""


def _span(start: datetime, end: datetime) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def _dur(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"
