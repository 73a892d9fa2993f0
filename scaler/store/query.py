"""Argument checks shared by every `RecordStore`, so the twins refuse exactly the same input.

Time ranges are half-open, ``start <= t < end``, with tz-aware datetimes: a naive datetime is
refused rather than guessed (a silent local-time guess shifts every answer by hours).
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["MAX_LIMIT", "check_page", "check_range", "check_time"]

MAX_LIMIT = 10_000
"""Largest page a store returns at once (the API caps pages much lower)."""


def check_time(value: datetime, name: str) -> datetime:
    """``value`` in UTC; `ValueError` naming ``name`` when it carries no time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. 2026-01-01T00:00:00Z), got {value}")
    return value.astimezone(UTC)


def check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = check_time(start, "start"), check_time(end, "end")
    if end < start:
        raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
    return start, end


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
