"""What an Auto Scaling group looks like to Forescale, parsed from DescribeAutoScalingGroups.

Pure: no client, no clock. Everything is in the group's *capacity units*, the unit its
MinSize/MaxSize/DesiredCapacity are written in:

- a plain group counts instances (one unit each);
- a group whose MixedInstancesPolicy overrides carry ``WeightedCapacity`` counts weight units
  (an m5.xlarge with weight 4 is 4 units), or vCPUs / MiB when ``DesiredCapacityType`` says so.

The plan for an ASG target speaks these units: its "replicas" are capacity units, so
``capacityPerReplica`` in the target spec is the load one *unit* serves (per weight unit, per
vCPU). A floor of 12 units on a group weighted {m5.large: 2, m5.xlarge: 4} is MinSize=12, which
AWS fills with any mix summing to at least 12 (say three m5.xlarge).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from forescale.scaler.domain import Capacity
from forescale.scaler.errors import ActuationError, PermanentError

__all__ = [
    "BASELINE_TAG",
    "DEFAULT_LEAD_TIME",
    "GroupState",
    "InvalidGroupState",
    "parse_group",
]

BASELINE_TAG = "forescale.io/baseline-min-size"
"""The user's own MinSize, written the first time Forescale changes a group, removed on release."""
DEFAULT_LEAD_TIME = timedelta(minutes=5)
"""Used when a group sets neither DefaultInstanceWarmup nor HealthCheckGracePeriod (AWS's own
default warm-up for scaling policies is 300 s)."""

Unit = Literal["instances", "units", "vcpu", "memory-mib"]


class InvalidGroupState(ActuationError, PermanentError):
    """The group carries something Forescale cannot interpret (a hand-edited baseline tag)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupState:
    name: str
    min_size: int
    max_size: int
    desired: int
    baseline: int | None
    """The user's MinSize from the baseline tag; ``None`` while Forescale has not changed it."""
    unit: Unit = "instances"
    weights: Mapping[str, int] = field(default_factory=dict)
    """Instance type -> capacity units, for weighted groups."""
    in_service: int | None = None
    """Capacity units of InService, Healthy instances; ``None`` when a weight is unknown."""
    warmup: timedelta | None = None
    """DefaultInstanceWarmup, when the group sets one."""
    grace: timedelta = timedelta(0)
    """HealthCheckGracePeriod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """The group's tags (Forescale's marks among them)."""

    @property
    def user_floor(self) -> int:
        """The floor the group's owner chose: never go below it."""
        return self.baseline if self.baseline is not None else self.min_size

    @property
    def lead_time(self) -> timedelta:
        """How long a new instance takes to serve: the instance warm-up, else the health-check
        grace period, else AWS's default warm-up."""
        if self.warmup is not None and self.warmup > timedelta(0):
            return self.warmup
        if self.grace > timedelta(0):
            return self.grace
        return DEFAULT_LEAD_TIME

    def clamp_floor(self, units: int) -> int:
        """``units`` within [user's floor, MaxSize]. MaxSize wins when a hand-edited baseline
        exceeds it: AWS rejects MinSize > MaxSize, and the moto test server would accept it."""
        return min(max(units, self.user_floor), self.max_size)

    def to_capacity(self) -> Capacity:
        return Capacity(
            current_replicas=self.desired,
            min_replicas=self.min_size,
            max_replicas=self.max_size,
            baseline_min_replicas=self.user_floor,
            ready_replicas=self.in_service,
        )


def parse_group(raw: Mapping[str, Any]) -> GroupState:
    """One element of DescribeAutoScalingGroups' ``AutoScalingGroups``."""
    name = str(raw["AutoScalingGroupName"])
    weights = _weights(raw)
    unit: Unit = "instances"
    if raw.get("DesiredCapacityType") in ("vcpu", "memory-mib"):
        unit = raw["DesiredCapacityType"]
    elif weights:
        unit = "units"
    warmup = raw.get("DefaultInstanceWarmup")
    return GroupState(
        name=name,
        min_size=int(raw["MinSize"]),
        max_size=int(raw["MaxSize"]),
        desired=int(raw["DesiredCapacity"]),
        baseline=_baseline(name, raw.get("Tags", [])),
        unit=unit,
        weights=weights,
        in_service=_in_service(
            raw.get("Instances", []), weights=weights, weighted=unit != "instances"
        ),
        warmup=timedelta(seconds=int(warmup)) if warmup is not None and int(warmup) >= 0 else None,
        grace=timedelta(seconds=int(raw.get("HealthCheckGracePeriod") or 0)),
        tags={str(t.get("Key")): str(t.get("Value", "")) for t in raw.get("Tags", [])},
    )


def _weights(raw: Mapping[str, Any]) -> dict[str, int]:
    policy = raw.get("MixedInstancesPolicy") or {}
    overrides = (policy.get("LaunchTemplate") or {}).get("Overrides") or []
    if not any("WeightedCapacity" in o for o in overrides):
        return {}
    return {
        str(o.get("InstanceType", "?")): int(o.get("WeightedCapacity", 1))
        for o in overrides
        if "InstanceType" in o
    }


def _baseline(name: str, tags: list[Mapping[str, Any]]) -> int | None:
    for tag in tags:
        if tag.get("Key") != BASELINE_TAG:
            continue
        value = str(tag.get("Value", ""))
        if not value.isdigit():
            raise InvalidGroupState(
                f"Auto Scaling group {name!r}: tag {BASELINE_TAG}={value!r} is not a "
                "non-negative integer. Set it to the MinSize you want restored, or delete it "
                "(Forescale then treats the current MinSize as your own)"
            )
        return int(value)
    return None


def _in_service(
    instances: list[Mapping[str, Any]], *, weights: Mapping[str, int], weighted: bool
) -> int | None:
    total = 0
    for instance in instances:
        if instance.get("LifecycleState") != "InService":
            continue
        if instance.get("HealthStatus", "Healthy") != "Healthy":
            continue
        if "WeightedCapacity" in instance:
            total += int(instance["WeightedCapacity"])
        elif not weighted:
            total += 1
        elif instance.get("InstanceType") in weights:
            total += weights[str(instance["InstanceType"])]
        else:
            return None  # an honest "unknown" beats a guessed weight
    return total
