"""What the control loop is configured with, what one cycle reports, and its bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from forescale.scaler.controller.runtime import CycleOutcome, RuntimeSettings
from forescale.scaler.errors import TemporaryError

__all__ = ["ControlSettings", "CycleReport", "CycleState", "CycleTimeout"]


class CycleTimeout(TemporaryError):
    """A target's outside reads did not return within the cycle's deadline (a hung Prometheus or
    API server): counted like any failed cycle of that target, so it falls back in time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlSettings:
    interval_seconds: float = 60.0
    dry_run: bool = False
    restore_on_shutdown: bool = True
    max_refits_per_cycle: int = 10
    reclaim_every: timedelta = timedelta(hours=1)
    """How often the leader looks for floors no target claims (also at each new leadership)."""
    cycle_deadline_seconds: float = 0.0
    """Real seconds a cycle may take (0: 0.8 x the interval); targets whose reads have not
    returned by then are skipped with a reason, counted as a failed cycle of theirs."""
    io_workers: int = 8
    """Targets read at once (Prometheus, the scaled object) in each cycle."""
    shutdown_seconds: float = 20.0
    """Real seconds giving the floors back on SIGTERM may take (inside the grace period)."""
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)

    @property
    def deadline_seconds(self) -> float:
        return self.cycle_deadline_seconds or 0.8 * self.interval_seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleReport:
    at: datetime
    seconds: float
    outcomes: dict[str, CycleOutcome]
    errors: dict[str, str]
    invalid: dict[str, str]
    leader: bool
    skipped: dict[str, str] = field(default_factory=dict)
    """Targets not decided this cycle and why (the deadline passed before their turn, or
    shutting down)."""


@dataclass(slots=True, kw_only=True)
class CycleState:
    """What one cycle decided so far, and what it may still do."""

    now: datetime
    leader: bool
    dry_run: bool
    budget: int
    tick: float | None = None
    """The cycle's monotonic reading (`Clock.monotonic`)."""
    """Model fits left this cycle."""
    outcomes: dict[str, CycleOutcome] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
