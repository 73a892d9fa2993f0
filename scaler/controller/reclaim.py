"""Floors no target claims any more, given back by a new leader (see `Reclaimable`).

A PredictiveAutoscaler deleted while no Forescale leader ran leaves its floor raised with nobody
to release it. The leader sweeps each `Reclaimable` actuator's managed objects at its first
cycle and then every ``reclaim_every``; `Controller` decides when (only with complete claims),
this module does the sweep. Housekeeping: no failure here ever stops the loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable

from forescale.scaler.actuators.base import Actuator, Reclaimable

__all__ = ["release_unclaimed"]

log = logging.getLogger(__name__)

_WHY = (
    "floor restored: no PredictiveAutoscaler names this object any more (it was removed while "
    "no Forescale leader was running)"
)


def release_unclaimed(
    actuators: Iterable[Actuator], claimed: Collection[object], *, may_write: Callable[[], bool]
) -> None:
    """Release every managed floor not in ``claimed``; each write asks ``may_write`` first."""
    reclaimable = {id(a): a for a in actuators if isinstance(a, Reclaimable)}
    for actuator in reclaimable.values():
        try:
            orphans = [ref for ref in actuator.managed() if ref not in claimed]
        except Exception as exc:  # noqa: BLE001 - housekeeping must never stop the loop
            log.warning("could not look for unclaimed floors: %s", exc)
            continue
        for ref in orphans:
            if not may_write():
                return  # no longer the leader: the next leader sweeps
            try:
                actuator.release(ref, reason=_WHY)
                log.warning("%s: unclaimed floor restored to the user's own minimum", ref)
            except Exception as exc:  # noqa: BLE001 - the next sweep tries again
                log.error("%s: could not restore an unclaimed floor: %s", ref, exc)
