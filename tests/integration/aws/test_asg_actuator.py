"""AsgActuator against moto's Auto Scaling API server, over HTTP, with boto3."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from forescale.scaler.actuators.base import Actuator
from forescale.scaler.aws import BASELINE_TAG, AsgActuator, InvalidGroupState, with_warm_up
from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.targets import parse_target
from forescale.scaler.domain import AsgRef
from tests.integration.aws.world import AwsWorld

pytestmark = pytest.mark.aws

START = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday


def day_floor(at: datetime) -> int:
    """A daily shape peaking at 14:00 UTC, overshooting MaxSize 12 at its top."""
    hours = (at - at.replace(hour=0, minute=0)).total_seconds() / 3600
    return round(1 + 13 * max(0.0, math.sin(math.pi * (hours - 6) / 16)))


def test_the_actuator_satisfies_the_actuator_protocol(aws: AwsWorld) -> None:
    assert isinstance(AsgActuator(aws.clients()), Actuator)


def test_a_simulated_day_keeps_min_size_on_the_clamped_floor_and_writes_only_on_change(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("web", min_size=2, max_size=12, desired=2)
    actuator = AsgActuator(aws.clients())
    clock = VirtualClock(START)
    expected_writes = 0
    previous, desired_before = 2, 2
    while clock.now() < START + timedelta(days=1):
        floor = day_floor(clock.now())
        result = actuator.apply_floor(ref, floor, reason=f"forecast at {clock.now():%H:%M}")
        group = aws.group(ref)
        wanted = min(max(floor, 2), 12)
        assert group["MinSize"] == wanted == result.floor_after
        assert group["DesiredCapacity"] >= max(wanted, desired_before)  # never lowered by us
        assert group["MaxSize"] == 12
        expected_writes += wanted != previous
        assert result.changed == (wanted != previous)
        previous, desired_before = wanted, group["DesiredCapacity"]
        clock.sleep(60 * 60)
    assert aws.proxy.count("UpdateAutoScalingGroup") == expected_writes >= 8
    assert aws.proxy.count("CreateOrUpdateTags") == 1
    assert aws.tags(ref)[BASELINE_TAG] == "2"

    released = actuator.release(ref, reason="shutdown")
    assert released.floor_after == 2 and aws.group(ref)["MinSize"] == 2
    assert BASELINE_TAG not in aws.tags(ref)


def test_raising_the_floor_raises_desired_capacity_and_lowering_it_leaves_desired_alone(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("api", min_size=1, max_size=20, desired=3)
    actuator = AsgActuator(aws.clients())

    actuator.apply_floor(ref, 8, reason="peak ahead")
    assert (aws.group(ref)["MinSize"], aws.group(ref)["DesiredCapacity"]) == (8, 8)

    result = actuator.apply_floor(ref, 4, reason="peak over")
    assert result.action == "lower"
    assert (aws.group(ref)["MinSize"], aws.group(ref)["DesiredCapacity"]) == (4, 8)
    assert aws.operations.count(("autoscaling", "SetDesiredCapacity")) == 0


def test_a_floor_above_max_size_is_clamped_because_moto_would_accept_it(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=2, max_size=5, desired=2)

    result = AsgActuator(aws.clients()).apply_floor(ref, 50, reason="huge forecast")

    assert result.floor_after == 5 and "clamped to 5" in result.message
    assert aws.group(ref)["MinSize"] == 5


def test_a_floor_below_the_users_min_size_writes_nothing(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=4, max_size=10, desired=4)

    result = AsgActuator(aws.clients()).apply_floor(ref, 1, reason="quiet night")

    assert result.action == "noop" and result.floor_after == 4
    assert aws.proxy.count("UpdateAutoScalingGroup") == 0
    assert BASELINE_TAG not in aws.tags(ref)


def test_the_baseline_survives_a_controller_restart_and_is_restored_on_release(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("web", min_size=3, max_size=10, desired=3)
    AsgActuator(aws.clients()).apply_floor(ref, 7, reason="before restart")

    restarted = AsgActuator(aws.clients())
    capacity = restarted.observe(ref)
    assert (capacity.min_replicas, capacity.baseline_min_replicas) == (7, 3)
    restarted.apply_floor(ref, 9, reason="after restart")
    assert aws.tags(ref)[BASELINE_TAG] == "3"  # the user's value, not ours

    result = restarted.release(ref, reason="target removed")
    assert (result.floor_before, result.floor_after) == (9, 3)
    assert aws.group(ref)["MinSize"] == 3 and BASELINE_TAG not in aws.tags(ref)


def test_release_of_an_untouched_group_writes_nothing(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=2, max_size=10, desired=2)

    result = AsgActuator(aws.clients()).release(ref, reason="fallback")

    assert result.action == "noop"
    writes = {op for _, op in aws.operations if not op.startswith("Describe")}
    assert writes == set()


def test_dry_run_reports_the_change_without_writing(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=2, max_size=10, desired=2)

    result = AsgActuator(aws.clients()).apply_floor(ref, 6, reason="preview", dry_run=True)

    assert (result.action, result.floor_after, result.dry_run, result.changed) == (
        "raise",
        6,
        True,
        False,
    )
    assert aws.group(ref)["MinSize"] == 2 and BASELINE_TAG not in aws.tags(ref)


def test_direct_control_raises_desired_capacity_and_never_lowers_it(aws: AwsWorld) -> None:
    ref = aws.create_group("batch", min_size=1, max_size=10, desired=2)
    actuator = AsgActuator(aws.clients(), control="desired-capacity")

    raised = actuator.apply_floor(ref, 6, reason="queue forecast")
    assert raised.action == "raise"
    assert (aws.group(ref)["MinSize"], aws.group(ref)["DesiredCapacity"]) == (1, 6)
    assert aws.proxy.count("SetDesiredCapacity") == 1

    kept = actuator.apply_floor(ref, 3, reason="forecast eases")
    assert kept.action == "noop" and aws.group(ref)["DesiredCapacity"] == 6
    assert aws.proxy.count("SetDesiredCapacity") == 1
    assert actuator.apply_floor(ref, 99, reason="spike").floor_after == 10  # MaxSize


def test_direct_control_can_be_chosen_for_one_group_only(aws: AwsWorld) -> None:
    direct = aws.create_group("direct", min_size=1, max_size=10, desired=1)
    floor = aws.create_group("floor", min_size=1, max_size=10, desired=1)
    actuator = AsgActuator(aws.clients(), control_overrides={direct: "desired-capacity"})

    actuator.apply_floor(direct, 4, reason="r")
    actuator.apply_floor(floor, 4, reason="r")

    assert (aws.group(direct)["MinSize"], aws.group(direct)["DesiredCapacity"]) == (1, 4)
    assert (aws.group(floor)["MinSize"], aws.group(floor)["DesiredCapacity"]) == (4, 4)


def test_a_weighted_group_is_observed_and_floored_in_capacity_units(aws: AwsWorld) -> None:
    ref = aws.create_group(
        "mixed", min_size=0, max_size=40, desired=8, weights={"m5.large": 2, "m5.xlarge": 4}
    )
    actuator = AsgActuator(aws.clients())

    state = actuator.describe(ref)
    assert (state.unit, dict(state.weights), state.desired) == (
        "units",
        {"m5.large": 2, "m5.xlarge": 4},
        8,
    )
    # moto launches the template's t3.micro, not an override type, and reports no per-instance
    # WeightedCapacity: the in-service capacity is then unknown rather than guessed.
    assert actuator.observe(ref).ready_replicas is None

    actuator.apply_floor(ref, 12, reason="units, not instances")
    assert aws.group(ref)["MinSize"] == 12


def test_the_default_lead_time_is_the_groups_warm_up(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1, grace_seconds=420)
    actuator = AsgActuator(aws.clients())
    document = {
        "apiVersion": "forescale.io/v1alpha1",
        "kind": "PredictiveAutoscaler",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "target": {"asg": {"name": "web", "region": ref.region}},
            "query": "sum(rate(http_requests_total[1m]))",
            "capacityPerReplica": 50,
            "maxReplicas": 10,
        },
    }

    warm_up = actuator.default_lead_time(ref)
    assert warm_up == timedelta(minutes=7)
    assert with_warm_up(parse_target(document).to_domain(), warm_up).policy.lead_time == warm_up
    document["spec"]["leadTime"] = "3m"  # type: ignore[index]
    given = with_warm_up(parse_target(document).to_domain(), warm_up)
    assert given.policy.lead_time == timedelta(minutes=3)


def test_a_hand_edited_baseline_tag_is_refused_with_how_to_fix_it(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=1, max_size=10, desired=1, tags={BASELINE_TAG: "three"})

    with pytest.raises(InvalidGroupState, match="not a non-negative integer.*delete it"):
        AsgActuator(aws.clients()).apply_floor(ref, 5, reason="r")
    assert aws.group(ref)["MinSize"] == 1


def test_an_assumed_role_is_cached_until_shortly_before_it_expires(aws: AwsWorld) -> None:
    iam = aws.admin("iam")
    role = iam.create_role(
        RoleName="forescale-target",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
    )["Role"]["Arn"]
    aws.create_group("cross", min_size=1, max_size=10, desired=1)
    ref = AsgRef(name="cross", region=aws.region, role_arn=role)
    clock = VirtualClock(datetime.now(UTC))
    actuator = AsgActuator(aws.clients(clock=clock, role_duration=timedelta(minutes=15)))

    for floor in (2, 3, 4):
        actuator.apply_floor(ref, floor, reason="r")
        clock.advance(timedelta(minutes=2))
    assert aws.operations.count(("sts", "AssumeRole")) == 1

    clock.advance(timedelta(minutes=5))  # 11 min: within the 5 min refresh margin of expiry
    actuator.observe(ref)
    assert aws.operations.count(("sts", "AssumeRole")) == 2
    assert aws.group(ref)["MinSize"] == 4
