"""What a sharded replica drives: the targets of the shards it holds (`Ownership`).

The cluster's poll lists every target; `owned` keeps those whose shard this replica holds now.
A target whose shard went to another replica is *dropped*, never released: its floor is the
new owner's to keep or change (it adopts the floor it finds, as a new leader does), and a
release by the losing replica would fight it. The losing replica could not write anyway: every
write asks `Ownership.owns` as it is made, and a lost shard's Lease is no longer valid. Deleted
and retargeted targets are released by their shard's holder only; a floor left behind while
nobody held the shard is found by the sweep for unclaimed floors, which the holder of shard 0
runs with the claims of every target, not only its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from forescale.scaler.domain import TargetName, TargetSpec, TargetsUpdate

__all__ = ["Elsewhere", "Ownership", "drop_others"]

log = logging.getLogger(__name__)

R = TypeVar("R")


class Ownership(Protocol):
    """Which targets this replica may drive (`scaler.kube.shards.ShardLeases`)."""

    def owns(self, name: str) -> bool:
        """The Lease of ``name``'s shard is ours and valid now."""
        ...

    def sweeps(self) -> bool:
        """This replica releases floors no target claims (one replica does)."""
        ...

    def holder_of(self, name: str) -> str | None:
        """The replica holding ``name``'s shard, as last seen (None: nobody now)."""
        ...


@dataclass
class Elsewhere:
    """The targets other replicas drive, as of the last poll: their claims keep the sweep off
    their floors, and the API shows them from the shared record store."""

    specs: dict[str, TargetSpec] = field(default_factory=dict)
    paused: frozenset[TargetName] = frozenset()

    @property
    def claims(self) -> frozenset[object]:
        return frozenset(s.ref for s in self.specs.values())

    def split(self, update: TargetsUpdate, ownership: Ownership) -> TargetsUpdate:
        """``update`` cut down to the targets we own now; the others remembered here."""
        mine = {s.name for s in update.targets if ownership.owns(str(s.name))}
        self.specs = {str(s.name): s for s in update.targets if s.name not in mine}
        self.paused = update.paused
        return replace(
            update,
            targets=tuple(s for s in update.targets if s.name in mine),
            invalid=tuple(i for i in update.invalid if ownership.owns(str(i.name))),
            deleted=tuple(s for s in update.deleted if ownership.owns(str(s.name))),
            retargeted=tuple(s for s in update.retargeted if ownership.owns(str(s.name))),
        )


def drop_others(runtimes: dict[TargetName, R], update: TargetsUpdate) -> list[TargetName]:
    """Remove from ``runtimes`` the targets not in ``update`` (owned elsewhere now); their
    names. Nothing is released: see the module docstring."""
    mine = {s.name for s in update.targets} | {i.name for i in update.invalid}
    lost = [name for name in runtimes if name not in mine]
    for name in lost:
        del runtimes[name]
        log.info("%s: its shard is held by another replica now; no longer driven here", name)
    return lost
