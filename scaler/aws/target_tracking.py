"""`AsgTargetWriter`: a group's target-tracking policy at the tuned target, by the owner's consent.

An Auto Scaling group's reactive scaler is its target-tracking scaling policy; its
``TargetValue`` plays the HPA target's part (issue 13 item 4). With ``hpaTarget: Apply`` the
tuned utilisation is written as the owner's own ``TargetValue`` times tuned /
``targetUtilization`` (a 50 % CPU target at a spec of 0.8 becomes 56.25 % for a tuned 0.9) with
``PutScalingPolicy``, the rest of the policy unchanged. The same rules as the group's MinSize
(`scaler.aws.asg`): the owner's value is recorded in the ``forescale.io/baseline-target-value``
tag before the first change, ``forescale.io/applied-target-value`` records what was written (a
``TargetValue`` changed since is the owner's new own), and `AsgActuator.release` restores it.

Which policy: the one named by ``spec.hpaTargetMetric`` (its name, or its predefined metric type
such as ``ASGAverageCPUUtilization``), else the group's only target-tracking policy. A group
with none, or with several and none named, keeps the tuned target as a recommendation, with the
reason in the status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from forescale.scaler.aws.groups import GroupState
from forescale.scaler.domain import AsgRef, TargetWrite

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient

__all__ = ["APPLIED_TARGET_TAG", "BASELINE_TARGET_TAG", "AsgTargetWriter"]

BASELINE_TARGET_TAG = "forescale.io/baseline-target-value"
APPLIED_TARGET_TAG = "forescale.io/applied-target-value"
Translated = Callable[[AsgRef, str], AbstractContextManager[None]]


@dataclass(frozen=True, slots=True)
class _Policy:
    name: str
    config: dict[str, Any]
    warmup: int | None

    @property
    def value(self) -> float:
        return float(self.config["TargetValue"])

    @property
    def metric(self) -> str | None:
        predefined = self.config.get("PredefinedMetricSpecification") or {}
        return predefined.get("PredefinedMetricType")


class AsgTargetWriter:
    def __init__(self, client: Callable[[AsgRef], AutoScalingClient], translated: Translated):
        self._client = client
        self._translated = translated

    def applied(self, ref: AsgRef, state: GroupState) -> float | None:
        """The tuned utilisation of ours in force (None: the owner's own; a read only when our
        tags are on the group)."""
        mark = _json(state.tags.get(APPLIED_TARGET_TAG))
        baseline = _json(state.tags.get(BASELINE_TARGET_TAG))
        if mark is None or baseline is None:
            return None
        policy = next((p for p in self._policies(ref) if p.name == baseline.get("policy")), None)
        if policy is None or policy.value != float(mark["value"]):
            return None  # the policy was removed or edited since: the owner's own is in force
        return float(mark["utilization"])

    def set(
        self,
        ref: AsgRef,
        state: GroupState,
        utilization: float | None,
        *,
        base: float,
        metric: str | None,
        reason: str,
        dry_run: bool,
    ) -> TargetWrite:
        """Run the policy at ``utilization`` (None: the owner's own ``TargetValue``)."""
        if utilization is None:
            return self.restore(ref, state, reason=reason, dry_run=dry_run)
        policies = self._policies(ref)
        recorded = _json(state.tags.get(BASELINE_TARGET_TAG))
        policy = _choose(policies, metric, recorded)
        if isinstance(policy, str):
            return TargetWrite(target=str(ref), action="noop", applied=None, dry_run=dry_run,
                               message=policy, refused=policy)  # fmt: skip
        own = policy.value
        mark = _json(state.tags.get(APPLIED_TARGET_TAG))
        if recorded is not None and mark is not None and float(mark["value"]) == policy.value:
            own = float(recorded["value"])  # ours is in force: scale from the owner's own
        value = round(own * utilization / base, 3)
        original = f"{policy.name} TargetValue {own:g}"
        if policy.value == value:
            return TargetWrite(target=str(ref), action="noop", applied=utilization,
                               original=original, dry_run=dry_run, message=reason)  # fmt: skip
        if not dry_run:
            self._tag(ref, {
                BASELINE_TARGET_TAG: json.dumps({"policy": policy.name, "value": own}),
                APPLIED_TARGET_TAG: json.dumps({"utilization": utilization, "value": value}),
            })  # fmt: skip
            self._put(ref, policy, value)
        return TargetWrite(target=str(ref), action="apply", applied=utilization,
                           original=original, dry_run=dry_run, message=reason)  # fmt: skip

    def restore(self, ref: AsgRef, state: GroupState, *, reason: str, dry_run: bool) -> TargetWrite:
        """Write the owner's ``TargetValue`` back and remove our tags (no-op when unmarked)."""
        recorded = _json(state.tags.get(BASELINE_TARGET_TAG))
        if recorded is None:
            return TargetWrite(target=str(ref), action="noop", applied=None, dry_run=dry_run,
                               message="nothing to restore")  # fmt: skip
        mark = _json(state.tags.get(APPLIED_TARGET_TAG))
        policy = next((p for p in self._policies(ref) if p.name == recorded.get("policy")), None)
        own = float(recorded["value"])
        ours = policy is not None and mark is not None and policy.value == float(mark["value"])
        if not dry_run:
            if ours and policy is not None and policy.value != own:
                self._put(ref, policy, own)
            with self._translated(ref, "DeleteTags"):
                self._client(ref).delete_tags(Tags=[
                    {"ResourceId": ref.name, "ResourceType": "auto-scaling-group", "Key": key}
                    for key in (BASELINE_TARGET_TAG, APPLIED_TARGET_TAG)
                ])  # fmt: skip
        return TargetWrite(
            target=str(ref), action="restore" if ours else "noop", applied=None,
            original=f"{recorded.get('policy')} TargetValue {own:g}", dry_run=dry_run,
            message=reason,
        )  # fmt: skip

    # -- AWS calls ----------------------------------------------------------------------------
    def _policies(self, ref: AsgRef) -> list[_Policy]:
        with self._translated(ref, "DescribePolicies"):
            response = self._client(ref).describe_policies(
                AutoScalingGroupName=ref.name, PolicyTypes=["TargetTrackingScaling"]
            )
        return [
            _Policy(str(p["PolicyName"]), dict(p["TargetTrackingConfiguration"]),
                    p.get("EstimatedInstanceWarmup"))
            for p in response.get("ScalingPolicies", [])
            if p.get("TargetTrackingConfiguration") and p.get("Enabled", True)
        ]  # fmt: skip

    def _put(self, ref: AsgRef, policy: _Policy, value: float) -> None:
        config: Any = {**policy.config, "TargetValue": value}
        extra: Any = {} if policy.warmup is None else {"EstimatedInstanceWarmup": policy.warmup}
        with self._translated(ref, "PutScalingPolicy"):
            self._client(ref).put_scaling_policy(
                AutoScalingGroupName=ref.name, PolicyName=policy.name,
                PolicyType="TargetTrackingScaling", TargetTrackingConfiguration=config, **extra,
            )  # fmt: skip

    def _tag(self, ref: AsgRef, values: dict[str, str]) -> None:
        with self._translated(ref, "CreateOrUpdateTags"):
            self._client(ref).create_or_update_tags(Tags=[
                {"ResourceId": ref.name, "ResourceType": "auto-scaling-group", "Key": key,
                 "Value": value, "PropagateAtLaunch": False}
                for key, value in values.items()
            ])  # fmt: skip


def _choose(
    policies: list[_Policy], wanted: str | None, recorded: dict[str, Any] | None
) -> _Policy | str:
    """The policy the load corresponds to, or why none can be chosen."""
    if recorded is not None:
        wanted = str(recorded.get("policy")) if recorded.get("policy") else wanted
    if wanted is not None:
        named = [p for p in policies if wanted in (p.name, p.metric)]
        if len(named) == 1:
            return named[0]
        return f"the group has no single target-tracking policy named {wanted!r}"
    if len(policies) == 1:
        return policies[0]
    if not policies:
        return "the group has no target-tracking scaling policy to run hotter"
    names = ", ".join(p.name for p in policies)
    return (
        f"the group has {len(policies)} target-tracking policies ({names}): name the one the "
        "load query measures in spec.hpaTargetMetric"
    )


def _json(raw: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(raw or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) and "value" in value else None
