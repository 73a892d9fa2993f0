"""Pausing a target where every replica reads it, so a pause survives restarts and hand-overs.

A pause kept in one process's memory is wrong twice with two replicas: sent to the follower it
answers "paused" while the leader keeps scaling, and a restart forgets it (the floor goes back up
on the first cycle). So a pause is stored in the durable place the target's spec comes from and
every poll reads it back:

- a PredictiveAutoscaler object: the annotation ``forescale.io/paused: "true"`` (with
  ``forescale.io/paused-by``), visible to ``kubectl`` and settable with ``kubectl annotate``;
- a targets-file document: the same annotation in the document (static), or a row in the shared
  record store (`StoredPauses`), which the API writes;
- `StaticTargets` (tests, the demo): process memory, there is only the one process.

Whichever replica receives the request writes the durable place; whichever replica leads reads it
on its next poll. When no place is shared (a follower without ``store.url``) the request is
refused with `PauseUnavailable` (503) instead of being acknowledged and ignored.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from forescale.scaler.clock import Clock
from forescale.scaler.domain import TargetName, TargetProvider, TargetsUpdate
from forescale.scaler.errors import PermanentError, ScalerError, TemporaryError

__all__ = [
    "PAUSED",
    "PAUSED_BY",
    "PauseKeeper",
    "PauseOverrides",
    "PauseStore",
    "PauseUnavailable",
    "StoredPauses",
    "annotated_pause",
    "pause_in",
]

log = logging.getLogger(__name__)

PAUSED = "forescale.io/paused"
"""The annotation that pauses a PredictiveAutoscaler (value ``"true"``)."""
PAUSED_BY = "forescale.io/paused-by"
"""Who paused it (the API caller), for ``kubectl describe``."""


class PauseUnavailable(TemporaryError):
    """The pause could not be stored where the leader reads it (answered 503, not 200)."""


class PauseRefused(PermanentError):
    """The pause is set somewhere the API does not write (the targets file itself)."""


def annotated_pause(obj: Mapping[str, Any]) -> bool:
    """``True`` when an object's (or document's) annotations pause it."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if not isinstance(annotations, Mapping):
        return False
    return str(annotations.get(PAUSED, "")).strip().lower() == "true"


@runtime_checkable
class PauseKeeper(Protocol):
    """A target source that stores pauses durably and reports them in each poll's ``paused``."""

    def set_paused(self, name: TargetName, paused: bool, *, by: str) -> None:
        """Store the pause where every replica reads it; a `ScalerError` if it cannot."""
        ...


def pause_in(provider: object, name: TargetName, paused: bool, *, by: str) -> None:
    """`PauseKeeper.set_paused` on ``provider``; `PauseUnavailable` if it keeps no pauses."""
    if not isinstance(provider, PauseKeeper):
        raise PauseUnavailable(f"{name}: its targets come from a source that keeps no pauses")
    provider.set_paused(name, paused, by=by)


class _Pausable(Protocol):
    @property
    def paused(self) -> bool: ...

    def set_paused(self, paused: bool) -> object: ...


class PauseOverrides:
    """The pauses the polls read, applied to the running targets; a pause written through
    this replica since a poll began wins over that poll's (older) answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._polls = 0
        self._written: dict[TargetName, tuple[bool, int]] = {}

    def poll_started(self) -> int:
        with self._lock:
            self._polls += 1
            return self._polls

    def written(self, name: TargetName, paused: bool) -> None:
        with self._lock:  # polls that began before the write do not know it yet
            self._written[name] = (paused, self._polls)

    def apply(
        self, runtimes: Mapping[TargetName, _Pausable], paused: frozenset[TargetName], *, poll: int
    ) -> None:
        for name, runtime in runtimes.items():
            wanted = name in paused
            with self._lock:
                written = self._written.get(name)
                if written is not None and written[1] >= poll:
                    wanted = written[0]
                else:
                    self._written.pop(name, None)
            if runtime.paused != wanted:
                log.info("%s: %s", name, "paused" if wanted else "resumed")
                runtime.set_paused(wanted)


class PauseStore(Protocol):
    """The part of a record store that keeps pauses (`SqlRecordStore`, `MemoryRecordStore`)."""

    def paused_targets(self) -> frozenset[str]: ...

    def set_pause(self, target: str, paused: bool, *, by: str, at: datetime) -> None: ...


class StoredPauses:
    """Targets from ``inner`` (a targets file) with pauses kept in the record ``store``.

    ``shared``: other replicas read the same store (a database, not process memory). A follower
    with an unshared store refuses pauses: its memory is not where the leader looks. A store that
    cannot be read keeps the pauses last read (an outage must not resume a paused target)."""

    def __init__(
        self,
        inner: TargetProvider,
        store: PauseStore,
        *,
        clock: Clock,
        shared: bool,
        is_leader: Callable[[], bool] = lambda: True,
    ) -> None:
        self.inner, self.store, self._clock = inner, store, clock
        self._shared, self._is_leader = shared, is_leader
        self._stored: frozenset[str] = frozenset()
        self._in_file: frozenset[TargetName] = frozenset()

    @classmethod
    def factory(
        cls, store: PauseStore, *, clock: Clock, shared: bool, is_leader: Callable[[], bool]
    ) -> Callable[[TargetProvider], StoredPauses]:
        """Wraps a targets source in `StoredPauses` over ``store`` (the composition root's
        hook)."""
        return lambda inner: cls(inner, store, clock=clock, shared=shared, is_leader=is_leader)

    def poll(self) -> TargetsUpdate:
        update = self.inner.poll()
        try:
            self._stored = self.store.paused_targets()
        except ScalerError as exc:
            log.warning("cannot read the paused targets, keeping the last known: %s", exc)
        self._in_file = frozenset(getattr(update, "paused", ()))
        stored = {TargetName(n) for n in self._stored}
        return dataclasses.replace(update, paused=self._in_file | stored)

    def write_status(self, name: TargetName, status: dict[str, Any]) -> bool:
        return bool(self.inner.write_status(name, status))

    def set_paused(self, name: TargetName, paused: bool, *, by: str) -> None:
        if not paused and name in self._in_file:
            raise PauseRefused(
                f"{name} is paused by the {PAUSED} annotation in the targets file: remove it "
                "there to resume"
            )
        if not self._shared and not self._is_leader():
            raise PauseUnavailable(
                f"this replica is not the leader and store.url is unset, so a pause of {name} "
                "would stay in this replica's memory while the leader keeps scaling: send it to "
                "the leader, or set store.url to a database every replica shares"
            )
        self.store.set_pause(str(name), paused, by=by, at=self._clock.now())
