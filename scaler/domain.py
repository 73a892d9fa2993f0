"""Value objects shared by planning, the controller, actuators and the API.

Frozen, slotted, keyword-only dataclasses: cheap, hashable and impossible to half-build. Pydantic
lives only at the I/O boundaries (config files, the API); these are what the core passes around.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal, NewType, Protocol
from zoneinfo import ZoneInfo

from forescale.scaler.tuning.objective import Objective

__all__ = [
    "ActuationResult",
    "AsgRef",
    "Capacity",
    "CapacityPlan",
    "HpaRef",
    "InvalidSpec",
    "KnownEvent",
    "Mode",
    "PlanStep",
    "ScalingPolicy",
    "ScheduledFloor",
    "TargetName",
    "TargetProvider",
    "TargetRef",
    "TargetSpec",
    "TargetWrite",
    "TargetsUpdate",
]

TargetName = NewType("TargetName", str)


class Mode(StrEnum):
    """Where a target stands in the fallback state machine.

    ``predictive``: the forecast sets a floor. ``degraded``: the forecast is doubtful (quality
    slipping, data stale); a floor is still set but no higher than the last trusted one and it is
    released soon if things do not improve. ``reactive``: no floor; the HPA/ASG alone decides,
    exactly as without Forescale.
    """

    PREDICTIVE = "predictive"
    DEGRADED = "degraded"
    REACTIVE = "reactive"


@dataclass(frozen=True, slots=True, kw_only=True)
class HpaRef:
    """A Kubernetes HorizontalPodAutoscaler (autoscaling/v2)."""

    namespace: str
    name: str
    kind: Literal["hpa"] = "hpa"

    def __str__(self) -> str:
        return f"hpa/{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AsgRef:
    """An EC2 Auto Scaling group, optionally reached through an assumed role."""

    name: str
    region: str
    role_arn: str | None = None
    kind: Literal["asg"] = "asg"

    def __str__(self) -> str:
        return f"asg/{self.region}/{self.name}"


TargetRef = HpaRef | AsgRef


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledFloor:
    """A calendar window with a minimum replica count (a launch, a sale, a holiday).

    Either a one-off window (``start``/``end``, UTC) or a weekly recurrence (``days`` 0=Monday,
    ``start_time``/``end_time`` in ``timezone``; an end before the start wraps past midnight).
    """

    name: str
    min_replicas: int
    start: datetime | None = None
    end: datetime | None = None
    days: frozenset[int] = frozenset()
    start_time: time | None = None
    end_time: time | None = None
    timezone: str = "UTC"

    def is_active(self, now: datetime) -> bool:
        if self.start is not None and self.end is not None:
            return self.start <= now < self.end
        if self.start_time is None or self.end_time is None:
            return False
        local = now.astimezone(ZoneInfo(self.timezone))
        t = local.timetz().replace(tzinfo=None)
        if self.start_time <= self.end_time:
            inside = self.start_time <= t < self.end_time
            day = local.weekday()
        else:  # wraps past midnight: the window belongs to the day it started on
            inside = t >= self.start_time or t < self.end_time
            day = local.weekday() if t >= self.start_time else (local.weekday() - 1) % 7
        return inside and (not self.days or day in self.days)


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownEvent:
    """A known event in a target's calendar (a sale, a holiday, a launch), ``[start, end)`` UTC.

    ``multiplier``: load during the event is expected to be this many times its usual level; the
    forecast is scaled by it inside the window, and history inside a past window is divided by it
    before fitting, so a model neither misses the event nor learns it as a normal day.
    ``min_replicas``: a floor for the window (planned through the scheduled-floor mechanism).
    """

    name: str
    start: datetime
    end: datetime
    multiplier: float | None = None
    min_replicas: int | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"event {self.name!r}: start and end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"event {self.name!r}: end must be after start")
        if self.multiplier is None and self.min_replicas is None:
            raise ValueError(f"event {self.name!r}: give a multiplier, minReplicas, or both")
        if self.multiplier is not None and not 0 < self.multiplier < float("inf"):
            raise ValueError(f"event {self.name!r}: multiplier must be > 0")
        if self.min_replicas is not None and self.min_replicas < 0:
            raise ValueError(f"event {self.name!r}: minReplicas must be >= 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingPolicy:
    """How one target turns load into replicas.

    ``capacity_per_replica``: the load one replica serves at 100% utilisation (same unit as the
    load query). ``lead_time``: how long a new replica takes to become ready; the floor is sized
    for the load expected that far ahead. ``quantile``: the forecast quantile to size for; the
    mean under-provisions half the time.
    """

    capacity_per_replica: float
    max_replicas: int
    min_replicas: int = 1
    target_utilization: float = 0.8
    lead_time: timedelta = timedelta(minutes=5)
    quantile: float = 0.9
    interval: timedelta = timedelta(minutes=1)
    scheduled_floors: tuple[ScheduledFloor, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if not self.capacity_per_replica > 0:
            problems.append(f"capacity_per_replica must be > 0, got {self.capacity_per_replica}")
        if not 0 < self.target_utilization <= 1:
            problems.append(f"target_utilization must be in (0, 1], got {self.target_utilization}")
        if self.min_replicas < 0:
            problems.append(f"min_replicas must be >= 0, got {self.min_replicas}")
        if self.max_replicas < max(self.min_replicas, 1):
            problems.append(
                f"max_replicas ({self.max_replicas}) must be >= min_replicas "
                f"({self.min_replicas}) and >= 1"
            )
        if not 0 < self.quantile < 1:
            problems.append(f"quantile must be in (0, 1), got {self.quantile}")
        if self.lead_time < timedelta(0):
            problems.append("lead_time must not be negative")
        if self.interval <= timedelta(0):
            problems.append("interval must be positive")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def load_per_replica(self) -> float:
        """Load one replica should carry: capacity x target utilisation."""
        return self.capacity_per_replica * self.target_utilization


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetSpec:
    """Everything the controller needs to scale one workload."""

    name: TargetName
    ref: TargetRef
    query: str
    policy: ScalingPolicy
    model: str = "auto"
    forecast_only: bool = False
    step: timedelta = timedelta(minutes=1)
    history: timedelta = timedelta(days=28)
    history_query: str | None = None
    """Older selector stitched before ``query``'s data (a renamed or redeployed workload)."""
    events: tuple[KnownEvent, ...] = ()
    """Known events; their floors are also in ``policy.scheduled_floors``."""
    publish_schedule: bool = False
    """ASG targets: also publish the coming hours' floors as the group's scheduled actions."""
    objective: Objective = Objective()
    """What self-tuning keeps while it minimises cost."""
    tuning: Literal["fixed", "tuned"] | None = "fixed"
    """Self-tuning mode: ``fixed``, ``tuned`` or None (off); see `scaler.tuning.tuner`."""
    hpa_target: Literal["recommend", "apply"] = "recommend"
    """``apply``: write the tuned target utilisation to the HPA's metric (or the group's
    target-tracking policy); ``recommend``: only show it (`scaler.controller.tuned_target`)."""
    hpa_target_metric: str | None = None
    """Which of the HPA's metrics (or the group's target-tracking policies) the load measures,
    when it has several."""
    default_lead_time: bool = False
    """The spec gave no lead time, so ``policy.lead_time`` is a default: 5 minutes, which the
    controller replaces with an Auto Scaling group's instance warm-up (`scaler.wiring`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Capacity:
    """What an actuator observed on the scaled object."""

    current_replicas: int
    min_replicas: int
    """The floor currently written on the object (HPA minReplicas / ASG MinSize)."""
    max_replicas: int
    baseline_min_replicas: int
    """The user's own floor, recorded before Forescale first raised it."""
    ready_replicas: int | None = None
    hpa_behavior: Mapping[str, Any] | None = None
    """The HPA's ``spec.behavior`` as read (None: none set, or not an HPA), so the reactive
    shadow and the tuner replay the user's HPA (`scaler.controller.shadow`)."""
    tuned_target: float | None = None
    """The tuned target utilisation Forescale wrote and has not restored (None: the user's)."""

    @property
    def raised(self) -> bool:
        """The floor on the object is not the user's own (someone's floor of ours is on it)."""
        return self.min_replicas != self.baseline_min_replicas


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanStep:
    """One step of a plan and why it chose what it chose (shown to SREs)."""

    name: str
    replicas: int | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityPlan:
    """A decision for one target at one time, with the reasons for every step."""

    target: TargetName
    at: datetime
    mode: Mode
    mode_reason: str
    floor: int | None
    """Floor to write (HPA minReplicas); ``None`` releases to the user's own floor."""
    desired: int
    """Replicas expected after the floor: max(floor, reactive), within bounds."""
    reactive: int
    predictive: int | None = None
    sized: int | None = None
    """What this cycle's forecast alone asks for (before stabilization and degraded caps)."""
    scheduled: int | None = None
    proposed: int | None = None
    """The floor this cycle alone asks for, before hysteresis held it (``floor`` is written)."""
    forecast_peak: float | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    quantile: float | None = None
    model: str | None = None
    steps: tuple[PlanStep, ...] = ()

    def explain(self) -> str:
        """One line for logs, events and the CLI."""
        return "; ".join(s.reason for s in self.steps) or self.mode_reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ActuationResult:
    """What an actuator did (or would have done in dry run)."""

    target: str
    action: Literal["raise", "lower", "restore", "noop"]
    floor_before: int
    floor_after: int
    dry_run: bool = False
    message: str = ""

    @property
    def changed(self) -> bool:
        return self.action != "noop" and not self.dry_run


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetWrite:
    """What a `TargetWriter` did to the scaling target of an HPA metric or a group's
    target-tracking policy (or would have done in dry run, or why it could not)."""

    target: str
    action: Literal["apply", "restore", "noop"]
    applied: float | None
    """The tuned utilisation in force afterwards (None: the user's own target)."""
    original: str | None = None
    """The user's own target as written, e.g. ``cpu averageUtilization 80`` (None: unknown)."""
    dry_run: bool = False
    message: str = ""
    refused: str | None = None
    """Why nothing could be written (several metrics, no target-tracking policy, ...)."""

    @property
    def changed(self) -> bool:
        return self.action != "noop" and not self.dry_run


def utc(dt: datetime) -> datetime:
    """``dt`` as tz-aware UTC (naive means UTC)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def as_tuple(items: Sequence[ScheduledFloor] | None) -> tuple[ScheduledFloor, ...]:
    return tuple(items or ())


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidSpec:
    """A target whose newest spec does not parse: reported where it lives, never fatal."""

    name: TargetName
    message: str
    last_valid: TargetSpec | None = None
    """The spec in force before it became invalid, if it ever was valid: it keeps running."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetsUpdate:
    """What every target source answers to `TargetProvider.poll`: the specs to run now, and
    what changed since the previous poll that the controller must act on."""

    targets: tuple[TargetSpec, ...]
    invalid: tuple[InvalidSpec, ...] = ()
    deleted: tuple[TargetSpec, ...] = ()
    """Last valid spec of each target gone since the previous poll: release its floor."""
    retargeted: tuple[TargetSpec, ...] = ()
    """Previous spec of each target that now names another HPA/ASG: release the old floor."""
    paused: frozenset[TargetName] = frozenset()
    """Targets paused where their spec lives (see `forescale.scaler.controller.pauses`)."""


class TargetProvider(Protocol):
    """A source of target specs: PredictiveAutoscaler objects (`forescale.scaler.kube.targets`),
    a YAML file or a fixed list (`forescale.scaler.controller.targets`), and the wrappers
    around them. It lives here, below all of them, so that each implements it without
    importing the others."""

    def poll(self) -> TargetsUpdate:
        """The current specs and what changed since the last poll."""
        ...

    def write_status(self, name: TargetName, status: dict[str, Any]) -> bool:
        """Publish a target's status where its spec lives (no-op for files)."""
        ...
