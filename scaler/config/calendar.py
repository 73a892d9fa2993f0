"""The calendar of a target spec: scheduled floors and known events (`TargetSpecModel` fields).

Kept apart from `scaler.config.targets` so that each module stays readable on its own; every
error still names the object and the field (``spec.events.0.multiplier: ...``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from forescale.scaler.domain import KnownEvent, ScheduledFloor, utc

__all__ = ["EventModel", "ScheduledFloorModel", "SpecModel"]

_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class SpecModel(BaseModel):
    """Every spec object: unknown fields are errors, camelCase or snake_case, immutable."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class ScheduledFloorModel(SpecModel):
    name: str = Field(min_length=1)
    min_replicas: int = Field(alias="minReplicas", ge=0)
    start: datetime | None = None
    end: datetime | None = None
    days: list[str] = Field(default_factory=list)
    start_time: time | None = Field(default=None, alias="startTime")
    end_time: time | None = Field(default=None, alias="endTime")
    timezone: str = "UTC"

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if d[:3].lower() not in _DAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}; use Mon, Tue, Wed, Thu, Fri, Sat, Sun")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name like Europe/Berlin"
            ) from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduledFloorModel:
        one_off = self.start is not None or self.end is not None
        weekly = self.start_time is not None or self.end_time is not None
        if one_off == weekly:
            raise ValueError("give either start+end (one-off window) or startTime+endTime (weekly)")
        if one_off and (self.start is None or self.end is None or self.end <= self.start):
            raise ValueError("a one-off window needs start < end")
        if weekly and (self.start_time is None or self.end_time is None):
            raise ValueError("a weekly window needs both startTime and endTime")
        return self

    def to_domain(self) -> ScheduledFloor:
        return ScheduledFloor(
            name=self.name,
            min_replicas=self.min_replicas,
            start=utc(self.start) if self.start else None,
            end=utc(self.end) if self.end else None,
            days=frozenset(_DAYS[d[:3].lower()] for d in self.days),
            start_time=self.start_time,
            end_time=self.end_time,
            timezone=self.timezone,
        )


class EventModel(SpecModel):
    """A known event: one day (``date`` in ``timezone``) or a window (``start``/``end``), with a
    load ``multiplier`` (applied to the forecast), a ``minReplicas`` floor, or both."""

    name: str = Field(min_length=1)
    day: date | None = Field(default=None, alias="date")
    start: datetime | None = None
    end: datetime | None = None
    timezone: str = "UTC"
    multiplier: float | None = Field(default=None, gt=0, le=100)
    min_replicas: int | None = Field(default=None, alias="minReplicas", ge=0)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return ScheduledFloorModel._tz(value)

    @model_validator(mode="after")
    def _window(self) -> EventModel:
        window = self.start is not None or self.end is not None
        if (self.day is not None) == window:
            raise ValueError("give either date (a whole day) or start+end (a window)")
        if window and (self.start is None or self.end is None or self.end <= self.start):
            raise ValueError("an event window needs start < end")
        if self.multiplier is None and self.min_replicas is None:
            raise ValueError("give a multiplier, minReplicas, or both")
        return self

    def window(self) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC; a ``date`` is midnight to midnight in ``timezone``."""
        if self.day is not None:
            zone = ZoneInfo(self.timezone)
            start = datetime.combine(self.day, time(0), tzinfo=zone)
            end = datetime.combine(self.day + timedelta(days=1), time(0), tzinfo=zone)
            return utc(start), utc(end)
        assert self.start is not None and self.end is not None
        return utc(self.start), utc(self.end)

    def to_domain(self) -> KnownEvent:
        start, end = self.window()
        return KnownEvent(
            name=self.name,
            start=start,
            end=end,
            multiplier=self.multiplier,
            min_replicas=self.min_replicas,
        )

    def floor(self) -> ScheduledFloor | None:
        """The event's floor as a one-off scheduled floor (the planner's existing mechanism)."""
        if self.min_replicas is None:
            return None
        start, end = self.window()
        return ScheduledFloor(
            name=f"event {self.name}", min_replicas=self.min_replicas, start=start, end=end
        )
