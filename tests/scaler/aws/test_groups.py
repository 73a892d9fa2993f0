"""Parsing DescribeAutoScalingGroups output into capacity units, floors and lead times.

The dictionaries are shaped as the AWS API documents them (fields moto does not return, such as
per-instance WeightedCapacity, DefaultInstanceWarmup and DesiredCapacityType, are covered here).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from forescale.scaler.aws.groups import BASELINE_TAG, InvalidGroupState, parse_group


def group(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "AutoScalingGroupName": "web",
        "MinSize": 2,
        "MaxSize": 10,
        "DesiredCapacity": 3,
        "HealthCheckGracePeriod": 0,
        "Instances": [instance() for _ in range(3)],
        "Tags": [],
    }
    raw.update(overrides)
    return raw


def instance(kind: str = "m5.large", state: str = "InService", **extra: Any) -> dict[str, Any]:
    return {"InstanceType": kind, "LifecycleState": state, "HealthStatus": "Healthy", **extra}


WEIGHTED = {
    "LaunchTemplate": {
        "LaunchTemplateSpecification": {"LaunchTemplateName": "t"},
        "Overrides": [
            {"InstanceType": "m5.large", "WeightedCapacity": "2"},
            {"InstanceType": "m5.xlarge", "WeightedCapacity": "4"},
        ],
    }
}


def test_a_plain_group_counts_in_service_healthy_instances() -> None:
    raw = group(
        Instances=[
            instance(),
            instance(state="Pending"),
            instance(HealthStatus="Unhealthy"),
            instance(),
        ]
    )

    state = parse_group(raw)

    assert (state.unit, state.in_service, state.desired) == ("instances", 2, 3)
    capacity = state.to_capacity()
    assert (capacity.current_replicas, capacity.min_replicas, capacity.max_replicas) == (3, 2, 10)
    assert (capacity.baseline_min_replicas, capacity.ready_replicas) == (2, 2)


def test_a_weighted_group_counts_capacity_units_from_instance_weights() -> None:
    raw = group(
        MixedInstancesPolicy=WEIGHTED,
        DesiredCapacity=10,
        Instances=[
            instance("m5.xlarge", WeightedCapacity="4"),
            instance("m5.large", WeightedCapacity="2"),
            instance("m5.large"),  # no per-instance weight: the override's
        ],
    )

    state = parse_group(raw)

    assert (state.unit, state.in_service) == ("units", 8)
    assert dict(state.weights) == {"m5.large": 2, "m5.xlarge": 4}


def test_an_instance_of_unknown_weight_makes_ready_capacity_unknown_not_guessed() -> None:
    raw = group(MixedInstancesPolicy=WEIGHTED, Instances=[instance("t3.micro")])

    assert parse_group(raw).in_service is None


def test_overrides_without_weights_are_an_instance_count() -> None:
    policy = {"LaunchTemplate": {"Overrides": [{"InstanceType": "m5.large"}]}}

    assert parse_group(group(MixedInstancesPolicy=policy)).unit == "instances"


def test_vcpu_desired_capacity_type_is_reported_as_the_unit() -> None:
    raw = group(DesiredCapacityType="vcpu", Instances=[instance(WeightedCapacity="2")])

    state = parse_group(raw)

    assert (state.unit, state.in_service) == ("vcpu", 2)


def test_the_baseline_tag_is_the_users_floor() -> None:
    raw = group(MinSize=7, Tags=[{"Key": BASELINE_TAG, "Value": "2"}])

    state = parse_group(raw)

    assert (state.baseline, state.user_floor, state.to_capacity().baseline_min_replicas) == (
        2,
        2,
        2,
    )


@pytest.mark.parametrize("value", ["", "-1", "2.5", "two"])
def test_a_baseline_tag_that_is_not_a_count_is_refused(value: str) -> None:
    with pytest.raises(InvalidGroupState, match=f"{BASELINE_TAG}='{value}'"):
        parse_group(group(Tags=[{"Key": BASELINE_TAG, "Value": value}]))


@pytest.mark.parametrize(
    ("units", "expected"), [(0, 2), (2, 2), (6, 6), (10, 10), (11, 10), (500, 10)]
)
def test_floors_are_clamped_between_the_users_floor_and_max_size(units: int, expected: int) -> None:
    assert parse_group(group()).clamp_floor(units) == expected


def test_max_size_wins_over_a_baseline_above_it() -> None:
    raw = group(MinSize=3, MaxSize=4, Tags=[{"Key": BASELINE_TAG, "Value": "6"}])

    assert parse_group(raw).clamp_floor(1) == 4


@pytest.mark.parametrize(
    ("fields", "lead"),
    [
        ({"DefaultInstanceWarmup": 240, "HealthCheckGracePeriod": 60}, timedelta(minutes=4)),
        ({"DefaultInstanceWarmup": 0, "HealthCheckGracePeriod": 90}, timedelta(seconds=90)),
        ({"HealthCheckGracePeriod": 90}, timedelta(seconds=90)),
        ({"HealthCheckGracePeriod": 0}, timedelta(minutes=5)),
    ],
)
def test_lead_time_is_the_warm_up_then_the_grace_period_then_five_minutes(
    fields: dict[str, int], lead: timedelta
) -> None:
    assert parse_group(group(**fields)).lead_time == lead
