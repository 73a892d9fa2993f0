"""The tuned target on an Auto Scaling group's target-tracking policy, against moto over HTTP.

``hpaTarget: Apply`` on an ASG target: the policy's ``TargetValue`` scaled by tuned / spec
(``PutScalingPolicy``, the rest of the policy unchanged), the owner's own in a tag, restored by
``release`` (the path of every floor restore: fallback, removal, shutdown); without a
target-tracking policy the tuned target stays a recommendation, with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from forescale.scaler.actuators.base import TargetWriter
from forescale.scaler.aws import AsgActuator
from forescale.scaler.aws.target_tracking import APPLIED_TARGET_TAG, BASELINE_TARGET_TAG
from forescale.scaler.domain import AsgRef
from tests.integration.aws.world import AwsWorld

pytestmark = pytest.mark.aws


def track_cpu(aws: AwsWorld, ref: AsgRef, value: float, name: str = "cpu50") -> None:
    aws.admin("autoscaling").put_scaling_policy(
        AutoScalingGroupName=ref.name, PolicyName=name, PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": value,
        },
    )  # fmt: skip


def policy(aws: AwsWorld, ref: AsgRef, name: str = "cpu50") -> dict[str, Any]:
    found = aws.admin("autoscaling").describe_policies(AutoScalingGroupName=ref.name)
    (one,) = [p for p in found["ScalingPolicies"] if p["PolicyName"] == name]
    return dict(one["TargetTrackingConfiguration"])


def test_the_asg_actuator_is_a_target_writer(aws: AwsWorld) -> None:
    assert isinstance(AsgActuator(aws.clients()), TargetWriter)


def test_the_tuned_value_is_written_observed_and_the_owners_own_restored_on_release(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("web", min_size=2, max_size=12, desired=2)
    track_cpu(aws, ref, 50.0)
    actuator = AsgActuator(aws.clients())

    written = actuator.set_target(ref, 0.9, base=0.8, metric=None, reason="tuned")

    assert (written.action, written.applied, written.original) == (
        "apply", 0.9, "cpu50 TargetValue 50",
    )  # fmt: skip
    config = policy(aws, ref)
    assert config["TargetValue"] == 56.25  # 50 x 0.9 / 0.8
    assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
        "ASGAverageCPUUtilization"
    )
    assert BASELINE_TARGET_TAG in aws.tags(ref) and APPLIED_TARGET_TAG in aws.tags(ref)
    assert actuator.observe(ref).tuned_target == 0.9
    puts = aws.proxy.count("PutScalingPolicy")
    again = actuator.set_target(ref, 0.9, base=0.8, metric=None, reason="tuned")
    assert again.action == "noop" and aws.proxy.count("PutScalingPolicy") == puts

    actuator.release(ref, reason="shutdown")

    assert policy(aws, ref)["TargetValue"] == 50.0
    assert not {BASELINE_TARGET_TAG, APPLIED_TARGET_TAG} & set(aws.tags(ref))
    assert actuator.observe(ref).tuned_target is None


def test_back_to_the_owners_own_when_asked_and_an_edit_made_since_becomes_the_owners(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("web", min_size=2, max_size=12, desired=2)
    track_cpu(aws, ref, 40.0)
    actuator = AsgActuator(aws.clients())
    actuator.set_target(ref, 0.9, base=0.8, metric=None, reason="tuned")
    restored = actuator.set_target(ref, None, base=0.8, metric=None, reason="reactive only")
    assert restored.action == "restore" and policy(aws, ref)["TargetValue"] == 40.0

    actuator.set_target(ref, 0.9, base=0.8, metric=None, reason="tuned")
    track_cpu(aws, ref, 60.0)  # the owner edits the policy meanwhile
    assert actuator.observe(ref).tuned_target is None
    actuator.release(ref, reason="PredictiveAutoscaler deleted")
    assert policy(aws, ref)["TargetValue"] == 60.0  # never "restored" to the replaced 40


def test_without_one_target_tracking_policy_the_target_stays_a_recommendation(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("web", min_size=2, max_size=12, desired=2)
    actuator = AsgActuator(aws.clients())

    none = actuator.set_target(ref, 0.9, base=0.8, metric=None, reason="tuned")
    assert none.refused is not None and "no target-tracking scaling policy" in none.refused

    track_cpu(aws, ref, 50.0)
    track_cpu(aws, ref, 70.0, name="cpu70")
    several = actuator.set_target(ref, 0.9, base=0.8, metric=None, reason="tuned")
    assert several.refused is not None and "spec.hpaTargetMetric" in several.refused
    assert aws.proxy.count("PutScalingPolicy") == 0

    named = actuator.set_target(ref, 0.9, base=0.8, metric="cpu70", reason="tuned")
    assert named.refused is None and policy(aws, ref, "cpu70")["TargetValue"] == 78.75
    assert policy(aws, ref)["TargetValue"] == 50.0
