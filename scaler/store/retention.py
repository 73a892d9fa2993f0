"""Retention: forget records older than a window, at most once per period.

The store grows by a few rows per target and cycle; purging every cycle would cost a DELETE per
cycle for nothing, so `Retention` runs the purge only when ``every`` has passed since the last
one. The caller passes ``now`` (pure: no clock read here).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from forescale.scaler.store.query import check_time

__all__ = ["Purgeable", "Retention"]

log = logging.getLogger(__name__)


class Purgeable(Protocol):
    """The one `RecordStore` method retention needs."""

    def purge(self, *, before: datetime) -> int: ...


class Retention:
    """Purges ``store`` of records older than ``window``, at most once per ``every``."""

    def __init__(
        self, store: Purgeable, *, window: timedelta, every: timedelta = timedelta(hours=1)
    ) -> None:
        if window <= timedelta(0):
            raise ValueError(f"retention window must be positive, got {window}")
        if every <= timedelta(0):
            raise ValueError(f"retention period must be positive, got {every}")
        self._store = store
        self.window = window
        self.every = every
        self._last: datetime | None = None

    @classmethod
    def days(cls, store: Purgeable, days: float) -> Retention:
        """From ``StoreSettings.retention_days``."""
        return cls(store, window=timedelta(days=days))

    def maybe_purge(self, now: datetime) -> int | None:
        """Purge if due; returns how many records went, or None when not due yet."""
        now = check_time(now, "now")
        if self._last is not None and timedelta(0) <= now - self._last < self.every:
            return None  # (a negative interval: the clock was set back; purging is harmless)
        removed = self._store.purge(before=now - self.window)
        self._last = now
        if removed:
            log.info("retention: removed %d records older than %s", removed, self.window)
        return removed
