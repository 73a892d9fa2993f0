"""The two readings of a `Clock`: wall time may be set back or forward, the monotonic one only
moves with time passing (what intervals, deadlines and the Lease are measured on)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forescale.scaler.clock import SystemClock, VirtualClock

START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_a_jump_moves_the_wall_clock_and_not_the_monotonic_one() -> None:
    clock = VirtualClock(START)
    clock.advance(timedelta(seconds=90))
    clock.sleep(30)
    clock.jump(timedelta(hours=-2))

    assert clock.now() == START + timedelta(seconds=120) - timedelta(hours=2)
    assert clock.monotonic() == 120.0


def test_the_system_clock_monotonic_reading_never_goes_back() -> None:
    clock = SystemClock()
    readings = [clock.monotonic() for _ in range(1000)]
    assert readings == sorted(readings)
