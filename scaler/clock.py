"""Wall-clock abstraction, so the control loop runs in virtual time in tests and the demo.

Pure code never reads the clock: it receives ``now``. Only the loop asks a `Clock`.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, tz-aware UTC."""
        ...

    def sleep(self, seconds: float, *, stop: threading.Event | None = None) -> None:
        """Wait ``seconds`` (returns early when ``stop`` is set)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, *, stop: threading.Event | None = None) -> None:
        if seconds <= 0:
            return
        if stop is None:
            time.sleep(seconds)
        else:
            stop.wait(seconds)


class VirtualClock:
    """A clock that only moves when slept on: a simulated day passes in milliseconds.

    ``speed`` > 0 makes ``sleep`` also wait ``seconds / speed`` of real time, which the demo uses
    to replay traffic at a watchable pace.
    """

    def __init__(self, start: datetime, *, speed: float = 0.0) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a tz-aware start time")
        self._now = start.astimezone(UTC)
        self._speed = speed
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def sleep(self, seconds: float, *, stop: threading.Event | None = None) -> None:
        if seconds <= 0:
            return
        if self._speed > 0:
            real = seconds / self._speed
            if stop is not None:
                if stop.wait(real):
                    return
            else:
                time.sleep(real)
        elif stop is not None and stop.is_set():
            return
        self.advance(timedelta(seconds=seconds))
