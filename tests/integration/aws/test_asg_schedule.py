"""The forecast published as scheduled actions, against moto's Auto Scaling API server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forescale.scaler.aws import BASELINE_TAG, AsgActuator
from tests.integration.aws.world import AwsWorld

pytestmark = pytest.mark.aws

NOW = datetime(2026, 11, 23, 5, 50, tzinfo=UTC)


def hourly(
    *values: int, start: datetime = NOW + timedelta(minutes=10)
) -> list[tuple[datetime, int]]:
    return [(start + timedelta(hours=i), v) for i, v in enumerate(values)]


def test_the_forecast_becomes_min_size_actions_that_end_at_the_users_floor(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=2, max_size=10, desired=2)
    actuator = AsgActuator(aws.clients())

    result = actuator.publish_schedule(ref, hourly(3, 6, 6, 14, 4), now=NOW)

    assert aws.scheduled(ref) == {
        "forescale-20261123T0600Z": 3,
        "forescale-20261123T0700Z": 6,  # 08:00 repeats 6: no action
        "forescale-20261123T0900Z": 10,  # clamped to MaxSize
        "forescale-20261123T1000Z": 4,
        "forescale-20261123T1100Z": 2,  # one step after the last point: the user's own floor
    }
    assert (result.published, result.deleted, result.changed) == (5, 0, True)
    assert aws.tags(ref)[BASELINE_TAG] == "2"  # recorded before anything can change MinSize
    assert aws.group(ref)["MinSize"] == 2  # nothing changes until the actions fire


def test_republishing_replaces_stale_actions_and_leaves_unchanged_ones_alone(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("web", min_size=2, max_size=10, desired=2)
    actuator = AsgActuator(aws.clients())
    actuator.publish_schedule(ref, hourly(3, 6, 8), now=NOW)
    puts = aws.proxy.count("BatchPutScheduledUpdateGroupAction")

    later = NOW + timedelta(hours=1)
    result = actuator.publish_schedule(
        ref, hourly(6, 9, 5, start=later + timedelta(minutes=10)), now=later
    )

    assert aws.scheduled(ref) == {
        "forescale-20261123T0700Z": 6,  # kept as it was
        "forescale-20261123T0800Z": 9,  # rewritten
        "forescale-20261123T0900Z": 5,  # was the old terminal action (2): rewritten
        "forescale-20261123T1000Z": 2,  # new terminal action
    }
    assert (result.published, result.unchanged, result.deleted) == (3, 1, 1)  # 06:00 has passed
    assert aws.proxy.count("BatchPutScheduledUpdateGroupAction") == puts + 1

    again = actuator.publish_schedule(
        ref, hourly(6, 9, 5, start=later + timedelta(minutes=10)), now=later
    )
    assert not again.changed
    assert aws.proxy.count("BatchPutScheduledUpdateGroupAction") == puts + 1


def test_release_deletes_our_actions_and_keeps_the_owners(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=2, max_size=10, desired=2)
    aws.admin("autoscaling").put_scheduled_update_group_action(
        AutoScalingGroupName="web", ScheduledActionName="owner-nightly", Recurrence="0 2 * * *",
        MinSize=1,
    )  # fmt: skip
    actuator = AsgActuator(aws.clients())
    actuator.publish_schedule(ref, hourly(4, 5), now=NOW)
    actuator.apply_floor(ref, 5, reason="live floor")

    actuator.release(ref, reason="target removed")

    assert aws.scheduled(ref) == {"owner-nightly": 1}
    assert aws.group(ref)["MinSize"] == 2 and BASELINE_TAG not in aws.tags(ref)


def test_clear_schedule_reports_what_it_deleted_and_dry_run_deletes_nothing(
    aws: AwsWorld,
) -> None:
    ref = aws.create_group("web", min_size=2, max_size=10, desired=2)
    actuator = AsgActuator(aws.clients())
    actuator.publish_schedule(ref, hourly(4, 5, 6), now=NOW)

    assert actuator.clear_schedule(ref, dry_run=True).deleted == 4
    assert len(aws.scheduled(ref)) == 4
    assert actuator.clear_schedule(ref).deleted == 4
    assert aws.scheduled(ref) == {}


def test_a_dry_run_publish_writes_neither_actions_nor_the_baseline_tag(aws: AwsWorld) -> None:
    ref = aws.create_group("web", min_size=2, max_size=10, desired=2)

    result = AsgActuator(aws.clients()).publish_schedule(ref, hourly(4, 5), now=NOW, dry_run=True)

    assert (result.published, result.dry_run, result.changed) == (3, True, False)
    assert aws.scheduled(ref) == {} and BASELINE_TAG not in aws.tags(ref)
