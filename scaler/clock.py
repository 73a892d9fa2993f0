"""Clock abstraction, so the control loop runs in virtual time in tests and the demo.

Pure code never reads the clock: it receives ``now``. Only the loop asks a `Clock`.

Two readings, as client-go keeps them apart: ``now`` (wall time: what samples, records and
timestamps written to the API carry) and ``monotonic`` (seconds that never jump: every interval,
deadline and lease validity). NTP steps, a VM resumed from suspend or an operator's ``date``
move the wall clock by hours; measured on it, the loop slept 7,500 s after a jump back, targets
were skipped for two hours, and a leader whose clock went back an hour kept leading beside its
successor. `VirtualClock.jump` moves the wall time alone, to test exactly that.
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

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (its origin means nothing): for intervals."""
        ...

    def sleep(self, seconds: float, *, stop: threading.Event | None = None) -> None:
        """Wait ``seconds`` (returns early when ``stop`` is set)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

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
        self._elapsed = 0.0
        self._speed = speed
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def advance(self, delta: timedelta) -> None:
        """Time passes: both readings move."""
        with self._lock:
            self._now += delta
            self._elapsed += delta.total_seconds()

    def jump(self, delta: timedelta) -> None:
        """The wall clock is set (an NTP step, ``date -s``): only ``now`` moves."""
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
