"""HPA ``spec.behavior``: scaling policies, their rate limits and the stabilization window.

A faithful port of the pieces of Kubernetes' ``pkg/controller/podautoscaler/horizontal.go``
that turn a metric recommendation into an allowed replica count
(``calculateScaleUpLimitWithScalingRules``, ``calculateScaleDownLimitWithBehaviors``,
``getReplicasChangePerPeriod``, ``storeScaleEvent``, ``stabilizeRecommendation[WithBehaviors]``)
and the defaults of ``pkg/apis/autoscaling/v2``.

Arithmetic deliberately mirrors the Go code operation for operation (float64 products, truncating
``int32(...)`` conversions, strict ``After``/``Before`` time comparisons) so the two agree to the
replica, including at the window boundaries a 15 s sync period keeps hitting.

Times are integer microseconds since the epoch internally: exact, so "an event exactly one period
ago" is never double-counted by float rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from forescale.scaler.errors import ConfigError

__all__ = [
    "DEFAULT_BEHAVIOR",
    "LEGACY_SCALE_UP_LIMIT_FACTOR",
    "LEGACY_SCALE_UP_LIMIT_MINIMUM",
    "HpaBehavior",
    "Limit",
    "PolicyType",
    "ScaleEvent",
    "ScalingPolicyRule",
    "ScalingRules",
    "SelectPolicy",
    "legacy_limit",
    "legacy_scale_up_limit",
    "limit_rate",
    "scale_down_limit",
    "scale_up_limit",
]

PolicyType = Literal["Pods", "Percent"]
SelectPolicy = Literal["Max", "Min", "Disabled"]
Limit = Literal["ScaleUpLimit", "ScaleDownLimit", "TooManyReplicas", "TooFewReplicas"]
"""Upstream's ``ScalingLimited`` condition reasons: what capped the recommendation."""

# horizontal.go: an HPA without spec.behavior may grow to at most max(2 x current, 4) per sync.
LEGACY_SCALE_UP_LIMIT_FACTOR = 2.0
LEGACY_SCALE_UP_LIMIT_MINIMUM = 4.0

MAX_POLICY_PERIOD = timedelta(seconds=1800)  # API validation limits
MAX_STABILIZATION_WINDOW = timedelta(seconds=3600)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(at: datetime) -> int:
    """``at`` as exact integer microseconds since the epoch (requires a tz-aware datetime)."""
    if at.tzinfo is None:
        raise ConfigError(f"time {at.isoformat()} is naive: pass a tz-aware UTC datetime")
    return (at - _EPOCH) // _US


def _whole_seconds(what: str, value: timedelta, *, low: timedelta, high: timedelta) -> int:
    seconds = value.total_seconds()
    if value % timedelta(seconds=1) or not low <= value <= high:
        raise ConfigError(
            f"{what} must be a whole number of seconds in [{low.total_seconds():g}, "
            f"{high.total_seconds():g}] s (Kubernetes API limit), got {seconds:g} s"
        )
    return int(seconds)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingPolicyRule:
    """One ``HPAScalingPolicy``: change by at most ``value`` pods (or percent) per ``period``."""

    type: PolicyType
    value: int
    period: timedelta

    def __post_init__(self) -> None:
        if self.type not in ("Pods", "Percent"):
            raise ConfigError(f"policy type must be 'Pods' or 'Percent', got {self.type!r}")
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value <= 0:
            raise ConfigError(f"policy value must be a positive integer, got {self.value!r}")
        _whole_seconds(
            "policy period", self.period, low=timedelta(seconds=1), high=MAX_POLICY_PERIOD
        )

    def __str__(self) -> str:
        unit = "%" if self.type == "Percent" else " pods"
        return f"{self.value}{unit}/{self.period.total_seconds():g}s"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalingRules:
    """``HPAScalingRules`` for one direction.

    ``stabilization_window=None`` means "not set": for scale-down the controller's
    ``--horizontal-pod-autoscaler-downscale-stabilization`` (300 s) applies, for scale-up 0.
    ``tolerance=None`` means the cluster-wide ``--horizontal-pod-autoscaler-tolerance``.
    """

    policies: tuple[ScalingPolicyRule, ...]
    stabilization_window: timedelta | None = None
    select_policy: SelectPolicy = "Max"
    tolerance: float | None = None
    policies_us: tuple[tuple[bool, int, int], ...] = field(init=False, repr=False, compare=False)
    """(is Pods, value, period in microseconds) per policy: the rate limits' hot loop."""

    def __post_init__(self) -> None:
        if not isinstance(self.policies, tuple):
            object.__setattr__(self, "policies", tuple(self.policies))
        if not self.policies:
            raise ConfigError("scaling rules need at least one policy (Kubernetes rejects none)")
        compiled = tuple((p.type == "Pods", p.value, p.period // _US) for p in self.policies)
        object.__setattr__(self, "policies_us", compiled)
        if self.select_policy not in ("Max", "Min", "Disabled"):
            raise ConfigError(
                f"select_policy must be 'Max', 'Min' or 'Disabled', got {self.select_policy!r}"
            )
        if self.stabilization_window is not None:
            _whole_seconds(
                "stabilization_window",
                self.stabilization_window,
                low=timedelta(0),
                high=MAX_STABILIZATION_WINDOW,
            )
        if self.tolerance is not None and not (
            math.isfinite(self.tolerance) and self.tolerance >= 0
        ):
            raise ConfigError(f"tolerance must be a finite number >= 0, got {self.tolerance!r}")

    @property
    def longest_period(self) -> timedelta:
        return max(p.period for p in self.policies)

    @property
    def longest_period_us(self) -> int:
        return max(period for _, _, period in self.policies_us)

    @classmethod
    def default_scale_up(cls) -> ScalingRules:
        """autoscaling/v2 default: no stabilization; +4 pods or +100% per 15 s, whichever is
        more."""
        return cls(
            stabilization_window=timedelta(0),
            select_policy="Max",
            policies=(
                ScalingPolicyRule(type="Pods", value=4, period=timedelta(seconds=15)),
                ScalingPolicyRule(type="Percent", value=100, period=timedelta(seconds=15)),
            ),
        )

    @classmethod
    def default_scale_down(cls) -> ScalingRules:
        """autoscaling/v2 default: the cluster's stabilization window (300 s); -100% per 15 s."""
        return cls(
            stabilization_window=None,
            select_policy="Max",
            policies=(ScalingPolicyRule(type="Percent", value=100, period=timedelta(seconds=15)),),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HpaBehavior:
    """``spec.behavior``; a direction left out gets the API defaults, as the API server does."""

    scale_up: ScalingRules = field(default_factory=ScalingRules.default_scale_up)
    scale_down: ScalingRules = field(default_factory=ScalingRules.default_scale_down)

    @classmethod
    def default(cls) -> HpaBehavior:
        return cls()


DEFAULT_BEHAVIOR = HpaBehavior()
"""The autoscaling/v2 default behavior: what the replays assume unless given the HPA's own
(immutable, so one instance serves as every default argument)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleEvent:
    """A past rescale: ``change`` replicas (always positive) at ``at``."""

    at: datetime
    change: int


# -- rate limits --------------------------------------------------------------------------------
# An event log is a list of [timestamp_us, change, outdated] entries, kept exactly like upstream's
# []timestampedScaleEvent (see `store_event`): the set of entries that survive depends on the
# replacement order, and a limit for one direction reads the other direction's log with its own
# policy periods, so only an identical log gives identical limits for every behavior.
EventLog = list[list[int]]


def changes_within(log: EventLog, *, now_us: int, period_us: int) -> int:
    """getReplicasChangePerPeriod: replicas changed by events strictly after ``now - period``."""
    cutoff = now_us - period_us
    return sum(e[1] for e in log if e[0] > cutoff)


def store_event(log: EventLog, *, now_us: int, change: int, longest_period_us: int) -> None:
    """storeScaleEvent: mark entries older than the longest period, reuse the last such slot."""
    cutoff = now_us - longest_period_us
    reuse = -1
    for i, entry in enumerate(log):
        if entry[0] < cutoff:
            entry[2] = 1
        if entry[2]:
            reuse = i
    if reuse >= 0:
        log[reuse] = [now_us, change, 0]
    else:
        log.append([now_us, change, 0])


def _period_start(current: int, cutoff_us: int, up: EventLog, down: EventLog) -> int:
    """Replicas at the start of the period: undo the changes made after ``cutoff_us``."""
    start = current
    for at, change, _ in up:
        if at > cutoff_us:
            start -= change
    for at, change, _ in down:
        if at > cutoff_us:
            start += change
    return start


def up_limit_us(
    current: int, rules: ScalingRules, up: EventLog, down: EventLog, now_us: int
) -> int:
    """calculateScaleUpLimitWithScalingRules (may be below ``current``; the caller clamps)."""
    if rules.select_policy == "Disabled":
        return current
    pick_min = rules.select_policy == "Min"
    result: int | None = None
    for is_pods, value, period_us in rules.policies_us:
        start = _period_start(current, now_us - period_us, up, down)
        if is_pods:
            proposed = start + value
        else:  # rounded up, or a small deployment could never grow
            proposed = math.ceil(float(start) * (1 + float(value) / 100))
        if result is None or (proposed < result if pick_min else proposed > result):
            result = proposed
    assert result is not None  # ScalingRules guarantees at least one policy
    return result


def down_limit_us(
    current: int, rules: ScalingRules, up: EventLog, down: EventLog, now_us: int
) -> int:
    """calculateScaleDownLimitWithBehaviors (may exceed ``current``; the caller clamps)."""
    if rules.select_policy == "Disabled":
        return current
    pick_max = rules.select_policy == "Min"  # the smallest change is the largest floor
    result: int | None = None
    for is_pods, value, period_us in rules.policies_us:
        start = _period_start(current, now_us - period_us, up, down)
        if is_pods:
            proposed = start - value
        else:  # Go's int32(float64) conversion truncates toward zero
            proposed = int(float(start) * (1 - float(value) / 100))
        if result is None or (proposed > result if pick_max else proposed < result):
            result = proposed
    assert result is not None
    return result


def _log(events: Sequence[ScaleEvent]) -> EventLog:
    return [[to_us(e.at), e.change, 0] for e in events]


def scale_up_limit(
    *,
    now: datetime,
    current_replicas: int,
    rules: ScalingRules,
    scale_up_events: Sequence[ScaleEvent] = (),
    scale_down_events: Sequence[ScaleEvent] = (),
) -> int:
    """The most replicas the scale-up policies allow now (before clamping to ``current``)."""
    return up_limit_us(
        current_replicas, rules, _log(scale_up_events), _log(scale_down_events), to_us(now)
    )


def scale_down_limit(
    *,
    now: datetime,
    current_replicas: int,
    rules: ScalingRules,
    scale_up_events: Sequence[ScaleEvent] = (),
    scale_down_events: Sequence[ScaleEvent] = (),
) -> int:
    """The fewest replicas the scale-down policies allow now (before clamping to ``current``)."""
    return down_limit_us(
        current_replicas, rules, _log(scale_up_events), _log(scale_down_events), to_us(now)
    )


def rate_limit_us(
    *,
    desired: int,
    current: int,
    low: int,
    high: int,
    behavior: HpaBehavior,
    up: EventLog,
    down: EventLog,
    now_us: int,
) -> tuple[int, Limit | None]:
    """convertDesiredReplicasWithBehaviorRate: the policies' limit (never past ``current``,
    so old events can only stop a move, not reverse it), then min/max replicas."""
    if desired > current:
        limit = max(up_limit_us(current, behavior.scale_up, up, down, now_us), current)
        if high > limit:
            return (limit, "ScaleUpLimit") if desired > limit else (desired, None)
        return (high, "TooManyReplicas") if desired > high else (desired, None)
    if desired < current:
        limit = min(down_limit_us(current, behavior.scale_down, up, down, now_us), current)
        if low < limit:
            return (limit, "ScaleDownLimit") if desired < limit else (desired, None)
        return (low, "TooFewReplicas") if desired < low else (desired, None)
    return desired, None


def limit_rate(
    *,
    now: datetime,
    desired_replicas: int,
    current_replicas: int,
    min_replicas: int,
    max_replicas: int,
    behavior: HpaBehavior,
    scale_up_events: Sequence[ScaleEvent] = (),
    scale_down_events: Sequence[ScaleEvent] = (),
) -> tuple[int, Limit | None]:
    """The replicas an HPA with ``behavior`` may move to now, and what limited it (if anything)."""
    return rate_limit_us(
        desired=desired_replicas,
        current=current_replicas,
        low=min_replicas,
        high=max_replicas,
        behavior=behavior,
        up=_log(scale_up_events),
        down=_log(scale_down_events),
        now_us=to_us(now),
    )


def legacy_scale_up_limit(current_replicas: int) -> int:
    """calculateScaleUpLimit: the per-sync growth cap of an HPA without ``spec.behavior``."""
    return int(
        max(LEGACY_SCALE_UP_LIMIT_FACTOR * float(current_replicas), LEGACY_SCALE_UP_LIMIT_MINIMUM)
    )


def legacy_limit(
    *, desired_replicas: int, current_replicas: int, min_replicas: int, max_replicas: int
) -> tuple[int, Limit | None]:
    """convertDesiredReplicasWithRules: the bounds of an HPA without ``spec.behavior``."""
    up_cap = legacy_scale_up_limit(current_replicas)
    reason: Limit = "ScaleUpLimit" if max_replicas > up_cap else "TooManyReplicas"
    cap = min(up_cap, max_replicas)
    if desired_replicas < min_replicas:
        return min_replicas, "TooFewReplicas"
    if desired_replicas > cap:
        return cap, reason
    return desired_replicas, None
