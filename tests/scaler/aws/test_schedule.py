"""Planning the scheduled actions that carry the forecast floor while the controller is away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forescale.scaler.aws.groups import GroupState
from forescale.scaler.aws.schedule import (
    MAX_ACTIONS,
    ScheduledMinSize,
    action_name,
    diff_schedule,
    plan_schedule,
)
from forescale.scaler.errors import ConfigError

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
STATE = GroupState(name="web", min_size=5, max_size=10, desired=5, baseline=2)


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def plan(points: list[tuple[int, int]], **kwargs: object) -> list[tuple[str, int]]:
    floors = [(at(m), v) for m, v in points]
    actions = plan_schedule(floors, state=STATE, now=NOW, **kwargs)  # type: ignore[arg-type]
    return [(a.name, a.min_size) for a in actions]


def test_names_carry_the_utc_minute_the_action_fires() -> None:
    berlin = datetime(2026, 11, 23, 9, 30, 45, tzinfo=UTC).astimezone()
    assert action_name(berlin) == "forescale-20261123T0930Z"


def test_only_changes_are_scheduled_and_the_series_ends_at_the_users_floor() -> None:
    assert plan([(60, 4), (120, 4), (180, 7)]) == [
        ("forescale-20261123T0700Z", 4),
        ("forescale-20261123T0900Z", 7),
        ("forescale-20261123T1000Z", 2),  # baseline (tag), not the current MinSize 5
    ]


def test_values_are_clamped_to_the_users_floor_and_max_size() -> None:
    assert plan([(60, 0), (120, 99)]) == [
        ("forescale-20261123T0700Z", 2),
        ("forescale-20261123T0800Z", 10),
        ("forescale-20261123T0900Z", 2),
    ]


def test_points_less_than_a_minute_ahead_are_left_to_the_live_floor() -> None:
    assert plan([(-60, 8), (0, 8), (60, 3)]) == [
        ("forescale-20261123T0700Z", 3),
        ("forescale-20261123T0800Z", 2),
    ]


def test_an_explicit_end_places_the_return_to_the_users_floor() -> None:
    assert plan([(60, 6)], until=at(240)) == [
        ("forescale-20261123T0700Z", 6),
        ("forescale-20261123T1000Z", 2),
    ]


def test_a_single_point_holds_for_an_hour() -> None:
    assert plan([(30, 6)])[-1] == ("forescale-20261123T0730Z", 2)


@pytest.mark.parametrize(
    ("points", "kwargs", "message"),
    [
        ([(60, 1), (60, 2)], {}, "same minute"),
        ([(60, -1)], {}, "must be >= 0"),
        ([(60, 1)], {"until": at(30)}, "must be after the last"),
    ],
)
def test_malformed_schedules_are_refused_with_the_reason(
    points: list[tuple[int, int]], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plan(points, **kwargs)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        plan_schedule([(datetime(2026, 11, 23, 7), 3)], state=STATE, now=NOW)


def test_too_many_actions_ask_for_coarser_points() -> None:
    points = [(5 + 2 * i, 3 + i % 2) for i in range(MAX_ACTIONS + 5)]  # alternating 3, 4

    with pytest.raises(ConfigError, match="coarser points"):
        plan(points)


def test_the_diff_rewrites_only_what_changed_and_deletes_what_is_gone() -> None:
    wanted = [
        ScheduledMinSize(name="forescale-a", start=at(60), min_size=3),
        ScheduledMinSize(name="forescale-b", start=at(120), min_size=4),
    ]

    change = diff_schedule(wanted, {"forescale-a": 3, "forescale-b": 9, "forescale-old": 2})

    assert [a.name for a in change.put] == ["forescale-b"]
    assert (change.delete, change.unchanged, change.is_empty) == (("forescale-old",), 1, False)
    assert diff_schedule(wanted[:1], {"forescale-a": 3}).is_empty
