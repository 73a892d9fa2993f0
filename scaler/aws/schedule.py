"""The forecast floor as Auto Scaling scheduled actions, so a group pre-scales without us.

Pure planning: which ``forescale-*`` actions a group should carry for a forecast, and what to put
and delete to get there from what it carries now. Each action sets MinSize at one minute; the
series ends with an action that returns MinSize to the user's own floor, so a controller that
stays down leaves the group as its owner configured it once the forecast runs out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from forescale.scaler.aws.groups import GroupState
from forescale.scaler.errors import ConfigError

__all__ = [
    "MAX_ACTIONS",
    "SCHEDULE_PREFIX",
    "ScheduleChange",
    "ScheduleResult",
    "ScheduledMinSize",
    "action_name",
    "diff_schedule",
    "plan_schedule",
]

SCHEDULE_PREFIX = "forescale-"
MAX_ACTIONS = 100
"""AWS allows 125 scheduled actions per group; leave room for the owner's own."""
MIN_AHEAD = timedelta(minutes=1)
"""AWS rejects start times in the past; nearer points are the live floor's business."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledMinSize:
    name: str
    start: datetime
    min_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleChange:
    put: tuple[ScheduledMinSize, ...]
    delete: tuple[str, ...]
    unchanged: int

    @property
    def is_empty(self) -> bool:
        return not self.put and not self.delete


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleResult:
    """What publishing (or clearing) a schedule did to one group."""

    target: str
    published: int
    deleted: int
    unchanged: int
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return (self.published or self.deleted) > 0 and not self.dry_run


def action_name(start: datetime) -> str:
    """``forescale-20261127T0800Z``: one action per minute, named by when it fires (UTC)."""
    return f"{SCHEDULE_PREFIX}{start.astimezone(UTC):%Y%m%dT%H%MZ}"


def plan_schedule(
    floors: Sequence[tuple[datetime, int]],
    *,
    state: GroupState,
    now: datetime,
    until: datetime | None = None,
) -> list[ScheduledMinSize]:
    """The actions that make MinSize follow ``floors`` (each holds until the next point) and
    return to the user's floor at ``until`` (default: one step after the last point).

    Values are clamped to [user's floor, MaxSize]; an action is emitted only where the value
    changes, and only for start times at least a minute ahead of ``now``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be tz-aware UTC")
    points = _minute_points(floors)
    if not points:
        return []
    end = _end(points, until)
    series = [(t, state.clamp_floor(v)) for t, v in points]
    series.append((end, min(state.user_floor, state.max_size)))
    actions: list[ScheduledMinSize] = []
    previous: int | None = None
    for start, value in series:
        if value != previous and start >= now + MIN_AHEAD:
            actions.append(ScheduledMinSize(name=action_name(start), start=start, min_size=value))
        previous = value
    if len(actions) > MAX_ACTIONS:
        raise ConfigError(
            f"asg/{state.name}: the schedule needs {len(actions)} scheduled actions, more than "
            f"{MAX_ACTIONS}; publish coarser points (hourly) or a shorter horizon"
        )
    return actions


def _minute_points(floors: Sequence[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    points: list[tuple[datetime, int]] = []
    for at, value in sorted(floors, key=lambda p: p[0]):
        if at.tzinfo is None:
            raise ValueError(f"schedule point {at} must be tz-aware UTC")
        minute = at.astimezone(UTC).replace(second=0, microsecond=0)
        if points and points[-1][0] == minute:
            raise ValueError(f"two schedule points fall in the same minute ({minute}); merge them")
        if value < 0:
            raise ValueError(f"schedule point {minute}: floor must be >= 0, got {value}")
        points.append((minute, int(value)))
    return points


def _end(points: list[tuple[datetime, int]], until: datetime | None) -> datetime:
    last = points[-1][0]
    if until is None:
        step = last - points[-2][0] if len(points) > 1 else timedelta(hours=1)
        return last + step
    if until.tzinfo is None:
        raise ValueError("until must be tz-aware UTC")
    end = until.astimezone(UTC).replace(second=0, microsecond=0)
    if end <= last:
        raise ValueError(f"until ({end}) must be after the last schedule point ({last})")
    return end


def diff_schedule(
    wanted: Sequence[ScheduledMinSize], existing: Mapping[str, int | None]
) -> ScheduleChange:
    """Puts and deletes that turn ``existing`` (our actions on the group: name -> MinSize) into
    ``wanted``. Unchanged actions are not rewritten."""
    names = {a.name for a in wanted}
    put = tuple(a for a in wanted if existing.get(a.name, -1) != a.min_size)
    delete = tuple(sorted(n for n in existing if n not in names))
    return ScheduleChange(put=put, delete=delete, unchanged=len(wanted) - len(put))
