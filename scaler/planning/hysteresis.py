"""Floor hysteresis: the floor moves when a move is worth a ``minReplicas`` write.

Each cycle's forecast asks for a floor (the *proposal*). A p90 forecast re-made every minute
wobbles by a replica or so, and without hysteresis the floor followed it: on the NASA trace 8
writes an hour, 94 % of them by one replica, half of them undoing the one before. Every write is
an API call, an audit-log entry and GitOps drift noise, and a one-replica wobble buys nothing.

So a proposal within the *dead band* of the current floor (``max(min_band, fraction x floor)``,
with separate fractions for raising and lowering) is written only once the proposals have stayed
on that side of the floor for ``persistence``; the floor then moves to the nearest of them (the
least of the higher ones, the greatest of the lower ones). A move beyond the band is written at
once, up or down. Releasing the floor (reactive mode, no forecast) is never delayed: that is a
safety action, not a wobble.

Why raises have a band too, and a wider one: the floor is sized for the forecast quantile at the
target utilisation (0.8 by default), so one sized ``1 + raise_band`` times too small still has
capacity for that quantile at ``target x (1 + raise_band)`` utilisation (0.92 at 15 %), and the
HPA keeps scaling above the floor on the real load. A sharp rise (a flash crowd) is beyond any
band and raises at once. Raising at once and damping only lowering ratchets the floor up: on the
NASA replay a 10 % band with a 15-minute hold cut writes only 3.9x, for 8 % more replica-hours,
and no such setting reached 5x; following every rise in the direction of the last write (and
damping only reversals) cut them 2-3x. With both bands and one persistence the floor is as
likely to sit a little low as a little high, so replica-hours do not grow.

The defaults were chosen on replays of twelve traces at 1 minute, 5 minutes and 1 hour, real and
synthetic (benchmarks/floor_hysteresis.py; RESULTS.md, section floor_hysteresis), not on one.

Pure: the caller keeps the recent proposals and passes them in with ``now``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["FloorHysteresis", "Proposals", "Settled", "settle"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FloorHysteresis:
    """How far and how long a proposed floor must differ before it is written."""

    lower_band: float = 0.10
    """Fraction of the current floor a lower proposal must undercut to be written at once."""
    raise_band: float = 0.15
    """Fraction of the current floor a higher proposal must exceed to be written at once."""
    min_band: int = 1
    """The band is never narrower than this many replicas (a one-replica wobble waits)."""
    persistence: timedelta = timedelta(hours=1)
    """A move within the band is written once every proposal for this long was on its side.
    At decision intervals this long or longer, every move is written at once."""

    def __post_init__(self) -> None:
        if self.lower_band < 0 or self.raise_band < 0 or self.min_band < 0:
            raise ValueError("floor hysteresis bands must not be negative")
        if self.persistence < timedelta(0):
            raise ValueError("floor hysteresis persistence must not be negative")

    @classmethod
    def off(cls) -> FloorHysteresis:
        """Every change of the proposal is written at once (the behaviour before hysteresis)."""
        return cls(lower_band=0.0, raise_band=0.0, min_band=0, persistence=timedelta(0))

    def band(self, floor: int, *, up: bool) -> float:
        """Replicas a move from ``floor`` must exceed to be written at once."""
        return max(float(self.min_band), (self.raise_band if up else self.lower_band) * floor)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    floor: int | None
    held: bool = False
    """The floor stayed although the proposal differed (within the band, not yet persisted)."""
    persisted: bool = False
    """A move within the band, written because it persisted."""
    band: float = 0.0


def settle(
    proposed: int | None,
    *,
    current: int | None,
    recent: Sequence[int | None],
    persisted: bool,
    settings: FloorHysteresis,
) -> Settled:
    """The floor to write given this cycle's ``proposed`` one and the ``current`` floor.

    ``recent``: the proposals of the cycles within ``settings.persistence`` before this one;
    ``persisted``: whether those cycles (with this one) span the whole persistence time."""
    if proposed is None or current is None or proposed == current:
        return Settled(floor=proposed)
    up = proposed > current
    band = settings.band(current, up=up)
    if abs(proposed - current) > band:
        return Settled(floor=proposed, band=band)
    run = [*recent, proposed]
    if persisted and all(v is not None and (v > current if up else v < current) for v in run):
        values = [v for v in run if v is not None]
        return Settled(floor=min(values) if up else max(values), persisted=True, band=band)
    return Settled(floor=current, held=True, band=band)


class Proposals:
    """The proposals of the cycles within the persistence time, for `settle` (one per target)."""

    def __init__(self, persistence: timedelta) -> None:
        self.persistence = persistence
        self._recent: deque[tuple[datetime, int | None]] = deque()

    def window(self, now: datetime, *, interval: timedelta) -> tuple[tuple[int | None, ...], bool]:
        """The proposals made within ``persistence`` before ``now``, and whether they (each
        standing for one decision interval) and this cycle's cover the whole persistence.
        Changes nothing (the API's dry run asks too)."""
        since = now - self.persistence
        recent = [(at, p) for at, p in self._recent if since < at < now]
        oldest = recent[0][0] if recent else now
        return tuple(p for _, p in recent), now - oldest + interval >= self.persistence

    def add(self, now: datetime, proposed: int | None) -> None:
        self._recent.append((now, proposed))
        while self._recent and self._recent[0][0] <= now - self.persistence:
            self._recent.popleft()
