"""`AsgActuator`: predictive floors on EC2 Auto Scaling groups.

The floor is the group's ``MinSize``. Raising it above DesiredCapacity makes AWS raise
DesiredCapacity with it; lowering it leaves DesiredCapacity alone, so the group's own scaling
policies decide when to scale in. We never send DesiredCapacity together with MinSize: a policy
that raised the group between our read and our write would otherwise be undone.

Teams that manage desired capacity directly (as cluster-autoscaler does) can choose
``"desired-capacity"`` control, for all groups or per group: the actuator then only ever *raises*
DesiredCapacity with ``SetDesiredCapacity(HonorCooldown=False)`` and never lowers it, so it is
never below the group's own policies' choice.

Both modes: never above MaxSize (checked here: the moto test server does not), never below the
user's baseline. The baseline is recorded in the ``forescale.io/baseline-min-size`` tag before
the first change and restored (tag removed, our scheduled actions deleted) by ``release``.
Writes happen only when a value changes. Units are the group's capacity units (see `groups`).
While Forescale holds a group, its owner changes their own floor by editing the tag: MinSize
itself is Forescale's until ``release``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from forescale.scaler.aws.errors import (
    AWS_ERRORS,
    AwsRejected,
    FailureKind,
    actuation_error,
    classify,
)
from forescale.scaler.aws.groups import BASELINE_TAG, GroupState, parse_group
from forescale.scaler.aws.schedule import (
    SCHEDULE_PREFIX,
    ScheduledMinSize,
    ScheduleResult,
    diff_schedule,
    plan_schedule,
)
from forescale.scaler.aws.session import AwsClients
from forescale.scaler.aws.target_tracking import AsgTargetWriter
from forescale.scaler.domain import (
    ActuationResult,
    AsgRef,
    Capacity,
    TargetRef,
    TargetSpec,
    TargetWrite,
)
from forescale.scaler.errors import ConfigError, TargetNotFound

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_autoscaling.type_defs import (
        ScheduledUpdateGroupActionRequestTypeDef,
        TagTypeDef,
    )

__all__ = ["AsgActuator", "Control", "with_warm_up"]

log = logging.getLogger(__name__)

Control = Literal["min-size", "desired-capacity"]
_BATCH = 50  # BatchPut/BatchDelete accept at most 50 actions per call


class AsgActuator:
    """`Actuator` for `AsgRef` targets."""

    def __init__(
        self,
        clients: AwsClients,
        *,
        control: Control = "min-size",
        control_overrides: Mapping[AsgRef, Control] | None = None,
    ) -> None:
        self._clients = clients
        self._control = control
        self._overrides = dict(control_overrides or {})
        self._targets = AsgTargetWriter(self._client, self._translated)

    # -- Actuator protocol ------------------------------------------------------------------
    def observe(self, ref: TargetRef) -> Capacity:
        state = self.describe(ref)
        tuned = self._targets.applied(_asg(ref), state)
        return dataclasses.replace(state.to_capacity(), tuned_target=tuned)

    def set_target(
        self,
        ref: TargetRef,
        utilization: float | None,
        *,
        base: float,
        metric: str | None,
        reason: str,
        dry_run: bool = False,
    ) -> TargetWrite:
        """The tuned target on the group's target-tracking policy (`target_tracking`)."""
        asg = _asg(ref)
        return self._targets.set(asg, self.describe(asg), utilization, base=base, metric=metric,
                                 reason=reason, dry_run=dry_run)  # fmt: skip

    def apply_floor(
        self, ref: TargetRef, replicas: int, *, reason: str, dry_run: bool = False
    ) -> ActuationResult:
        asg = _asg(ref)
        state = self.describe(asg)
        target = state.clamp_floor(replicas)
        note = reason if target == replicas else f"{reason} (clamped to {target} {state.unit})"
        if self._control_for(asg) == "desired-capacity":
            return self._raise_desired(asg, state, target, note=note, dry_run=dry_run)
        if target == state.min_size:
            return _result(asg, "noop", state.min_size, target, dry_run=dry_run, message=note)
        action: Literal["raise", "lower"] = "raise" if target > state.min_size else "lower"
        if not dry_run:
            if state.baseline is None:
                self._record_baseline(asg, state)
            with self._translated(asg, "UpdateAutoScalingGroup"):
                self._client(asg).update_auto_scaling_group(
                    AutoScalingGroupName=asg.name, MinSize=target
                )
            log.info("%s: MinSize %d -> %d: %s", asg, state.min_size, target, note)
        return _result(asg, action, state.min_size, target, dry_run=dry_run, message=note)

    def release(self, ref: TargetRef, *, reason: str, dry_run: bool = False) -> ActuationResult:
        """Restore the user's MinSize and target-tracking value, remove the baseline tags and
        our scheduled actions."""
        asg = _asg(ref)
        state = self.describe(asg)
        self._targets.restore(asg, state, reason=reason, dry_run=dry_run)
        self.clear_schedule(asg, dry_run=dry_run)
        if state.baseline is None:
            return _result(
                asg, "noop", state.min_size, state.min_size, dry_run=dry_run,
                message="nothing to restore",
            )  # fmt: skip
        restore = min(state.baseline, state.max_size)
        action: Literal["restore", "noop"] = "restore" if restore != state.min_size else "noop"
        if not dry_run:
            if action == "restore":
                with self._translated(asg, "UpdateAutoScalingGroup"):
                    self._client(asg).update_auto_scaling_group(
                        AutoScalingGroupName=asg.name, MinSize=restore
                    )
            with self._translated(asg, "DeleteTags"):
                self._client(asg).delete_tags(Tags=[_tag(asg, None)])
            log.info("%s: MinSize %d -> %d restored: %s", asg, state.min_size, restore, reason)
        return _result(asg, action, state.min_size, restore, dry_run=dry_run, message=reason)

    # -- beyond the protocol ----------------------------------------------------------------
    def describe(self, ref: TargetRef) -> GroupState:
        """The group as Forescale sees it (floor, baseline, units, warm-up)."""
        asg = _asg(ref)
        with self._translated(asg, "DescribeAutoScalingGroups"):
            response = self._client(asg).describe_auto_scaling_groups(
                AutoScalingGroupNames=[asg.name]
            )
        groups = response.get("AutoScalingGroups", [])
        if not groups:
            raise TargetNotFound(
                f"{asg}: no Auto Scaling group named {asg.name!r} in {asg.region}; check the "
                "name and region in the target spec (groups are regional)"
            )
        return parse_group(groups[0])

    def default_lead_time(self, ref: AsgRef) -> timedelta:
        """The group's instance warm-up (DefaultInstanceWarmup, else HealthCheckGracePeriod,
        else 5 minutes): how far ahead a floor must rise for instances to serve in time."""
        return self.describe(ref).lead_time

    def publish_schedule(
        self,
        ref: AsgRef,
        floors: Sequence[tuple[datetime, int]],
        *,
        now: datetime,
        until: datetime | None = None,
        dry_run: bool = False,
    ) -> ScheduleResult:
        """Replace our scheduled actions with ``floors`` (time, capacity units), so the group
        follows the forecast for the coming hours even if the controller stops."""
        state = self.describe(ref)
        wanted = plan_schedule(floors, state=state, now=now, until=until)
        change = diff_schedule(wanted, self._scheduled(ref))
        if not dry_run and not change.is_empty:
            if change.put and state.baseline is None:
                self._record_baseline(ref, state)
            for i in range(0, len(change.put), _BATCH):
                self._put_actions(ref, change.put[i : i + _BATCH])
            self._delete_actions(ref, change.delete)
            log.info("%s: schedule +%d -%d", ref, len(change.put), len(change.delete))
        return ScheduleResult(
            target=str(ref),
            published=len(change.put),
            deleted=len(change.delete),
            unchanged=change.unchanged,
            dry_run=dry_run,
        )

    def clear_schedule(self, ref: AsgRef, *, dry_run: bool = False) -> ScheduleResult:
        """Delete every ``forescale-*`` scheduled action of the group."""
        names = tuple(sorted(self._scheduled(ref)))
        if not dry_run:
            self._delete_actions(ref, names)
        return ScheduleResult(
            target=str(ref), published=0, deleted=len(names), unchanged=0, dry_run=dry_run
        )

    # -- internals --------------------------------------------------------------------------
    def _control_for(self, ref: AsgRef) -> Control:
        return self._overrides.get(ref, self._control)

    def _client(self, ref: AsgRef) -> AutoScalingClient:
        return self._clients.autoscaling(ref.region, role_arn=ref.role_arn)

    @contextmanager
    def _translated(self, ref: AsgRef, operation: str) -> Iterator[None]:
        """botocore exceptions -> scaler errors naming the group and the IAM action."""
        try:
            yield
        except AWS_ERRORS as exc:
            failure = classify(exc, service="autoscaling", operation=operation)
            if failure.kind is FailureKind.CREDENTIALS:
                self._clients.forget(ref.role_arn)
            raise actuation_error(failure, target=str(ref)) from None

    def _raise_desired(
        self, ref: AsgRef, state: GroupState, target: int, *, note: str, dry_run: bool
    ) -> ActuationResult:
        if target <= state.desired:
            message = f"{note}; DesiredCapacity {state.desired} already covers it"
            return _result(
                ref, "noop", state.desired, state.desired, dry_run=dry_run, message=message
            )
        if not dry_run:
            with self._translated(ref, "SetDesiredCapacity"):
                self._client(ref).set_desired_capacity(
                    AutoScalingGroupName=ref.name, DesiredCapacity=target, HonorCooldown=False
                )
            log.info("%s: DesiredCapacity %d -> %d: %s", ref, state.desired, target, note)
        return _result(ref, "raise", state.desired, target, dry_run=dry_run, message=note)

    def _record_baseline(self, ref: AsgRef, state: GroupState) -> None:
        # Written before MinSize changes: a crash in between leaves tag == MinSize, harmless.
        with self._translated(ref, "CreateOrUpdateTags"):
            self._client(ref).create_or_update_tags(Tags=[_tag(ref, state.min_size)])

    def _scheduled(self, ref: AsgRef) -> dict[str, int | None]:
        found: dict[str, int | None] = {}
        with self._translated(ref, "DescribeScheduledActions"):
            pages = self._client(ref).get_paginator("describe_scheduled_actions")
            for page in pages.paginate(AutoScalingGroupName=ref.name):
                for action in page.get("ScheduledUpdateGroupActions", []):
                    name = action.get("ScheduledActionName", "")
                    if name.startswith(SCHEDULE_PREFIX):
                        found[name] = action.get("MinSize")
        return found

    def _put_actions(self, ref: AsgRef, actions: Sequence[ScheduledMinSize]) -> None:
        batch: list[ScheduledUpdateGroupActionRequestTypeDef] = [
            {"ScheduledActionName": a.name, "StartTime": a.start, "MinSize": a.min_size}
            for a in actions
        ]
        with self._translated(ref, "BatchPutScheduledUpdateGroupAction"):
            response = self._client(ref).batch_put_scheduled_update_group_action(
                AutoScalingGroupName=ref.name, ScheduledUpdateGroupActions=batch
            )
        failed = response.get("FailedScheduledUpdateGroupActions", [])
        if failed:
            details = "; ".join(
                f"{f.get('ScheduledActionName')}: {f.get('ErrorCode')} {f.get('ErrorMessage')}"
                for f in failed
            )
            raise AwsRejected(f"{ref}: AWS refused scheduled actions: {details}")

    def _delete_actions(self, ref: AsgRef, names: Sequence[str]) -> None:
        for i in range(0, len(names), _BATCH):
            with self._translated(ref, "BatchDeleteScheduledAction"):
                response = self._client(ref).batch_delete_scheduled_action(
                    AutoScalingGroupName=ref.name, ScheduledActionNames=list(names[i : i + _BATCH])
                )
            failed = [  # an action already gone is what we wanted
                f
                for f in response.get("FailedScheduledActions", [])
                if "not found" not in str(f.get("ErrorMessage", "")).lower()
            ]
            if failed:
                details = "; ".join(
                    f"{f.get('ScheduledActionName')}: {f.get('ErrorCode')}" for f in failed
                )
                raise AwsRejected(f"{ref}: AWS refused to delete scheduled actions: {details}")


def with_warm_up(spec: TargetSpec, lead_time: timedelta) -> TargetSpec:
    """``spec`` sized ``lead_time`` ahead when it is an ASG target that gave no lead time
    (`AsgActuator.default_lead_time`: the group's warm-up); any other spec unchanged."""
    if not isinstance(spec.ref, AsgRef) or not spec.default_lead_time:
        return spec
    return dataclasses.replace(spec, policy=dataclasses.replace(spec.policy, lead_time=lead_time))


def _asg(ref: TargetRef) -> AsgRef:
    if not isinstance(ref, AsgRef):
        raise ConfigError(f"{ref}: the ASG actuator only drives asg targets")
    return ref


def _tag(ref: AsgRef, value: int | None) -> TagTypeDef:
    """The baseline tag (``value=None``: just its key, for DeleteTags)."""
    tag: TagTypeDef = {
        "ResourceId": ref.name,
        "ResourceType": "auto-scaling-group",
        "Key": BASELINE_TAG,
    }
    if value is not None:
        tag["Value"] = str(value)
        tag["PropagateAtLaunch"] = False  # a bookkeeping tag, not for the instances
    return tag


def _result(
    ref: AsgRef,
    action: Literal["raise", "lower", "restore", "noop"],
    before: int,
    after: int,
    *,
    dry_run: bool,
    message: str,
) -> ActuationResult:
    return ActuationResult(
        target=str(ref),
        action=action,
        floor_before=before,
        floor_after=after,
        dry_run=dry_run,
        message=message,
    )
