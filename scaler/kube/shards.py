"""`ShardLeases`: the targets split over replicas, one coordination.k8s.io/v1 Lease per shard.

A target belongs to shard ``shard_of(name, S)`` (a SHA-256 of its ``namespace/name``: the same
in every replica and every Python process, unlike ``hash()``), and is driven by the replica that
holds that shard's Lease ``{prefix}-K``. Each shard is a `LeaderElector` with all its
guarantees (monotonic clock, resourceVersion on every write, no write after the renew
deadline), so no target is ever driven by two replicas at once: the controller asks `owns` for
the target's shard as each write is made.

Who takes which shard, so that one replica does not take them all and none stays orphaned:

- a replica renews every shard it holds;
- it takes a *free* shard (no Lease, or released on shutdown) while it holds fewer than its
  fair share ceil(S / max(live, expected)): ``live`` is the distinct valid holders seen plus
  itself, ``expected`` the replicas the chart runs (a replica starting first must leave shards
  to the peers starting beside it);
- it takes an *expired* shard (a holder that stopped renewing: killed, hung, partitioned) while
  it holds fewer than ceil(S / live): the dead holder is not live, so the survivors' share grows
  at once and the shard is taken one lease duration after its last renewal. In its first two
  lease durations a replica uses the free rule instead: at a restart of every replica all the
  Leases are expired, and the first one up must not take them all;
- any free or expired shard nobody took for one more lease duration is taken regardless of the
  share (a replica that never came up, ``expected`` set too high): never an orphaned shard.

Shards are not moved back to a replica that joins later (a crashed pod's replacement finds them
held and waits): a rollout, which restarts every replica, evens them out again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import math
import threading

from forescale.scaler.clock import Clock
from forescale.scaler.kube.client import KubeApi
from forescale.scaler.kube.leader import LeaderElector, LeaseConfig, run_rounds

__all__ = ["ShardLeases", "shard_of"]

logger = logging.getLogger(__name__)


def shard_of(name: str, shards: int) -> int:
    """The shard of target ``name`` (``namespace/name``): SHA-256, first 8 bytes, modulo."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


class ShardLeases:
    """``shards`` Lease electors driven from one thread (`run`), read from any (`owns`)."""

    def __init__(
        self,
        api: KubeApi,
        *,
        config: LeaseConfig,
        shards: int,
        prefix: str = "forescale-shard",
        expected_replicas: int = 0,
        clock: Clock,
    ) -> None:
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self.config = config
        self.shards = shards
        self.expected = expected_replicas or shards
        self._clock = clock
        self._electors = [
            LeaderElector(
                api, config=dataclasses.replace(config, name=f"{prefix}-{k}"), clock=clock
            )  # fmt: skip
            for k in range(shards)
        ]
        self._started: float | None = None
        self._unheld_since: dict[int, float] = {}
        """Per shard: our monotonic time when we first saw it free or expired (orphan rule)."""
        self._first = shard_of(config.identity, shards)
        """Where each round starts: replicas starting together try different shards first."""

    # -- what the controller asks --------------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        """We hold at least one shard (the replica actuates something: metrics, purges)."""
        return any(e.is_leader for e in self._electors)

    def owns(self, name: str) -> bool:
        """The Lease of ``name``'s shard is ours and valid now: a write for it may be made."""
        return self._electors[shard_of(name, self.shards)].is_leader

    def sweeps(self) -> bool:
        """We hold shard 0, whose holder alone releases floors no target claims."""
        return self._electors[0].is_leader

    def holder_of(self, name: str) -> str | None:
        """The replica holding ``name``'s shard as last seen (None: free or expired)."""
        return self._electors[shard_of(name, self.shards)].valid_holder

    def held(self) -> list[int]:
        """The shards we hold now."""
        return [k for k, e in enumerate(self._electors) if e.is_leader]

    def holders(self) -> dict[int, str | None]:
        """Each shard's valid holder as last seen (``None``: free or expired)."""
        return {k: e.valid_holder for k, e in enumerate(self._electors)}

    # -- the election --------------------------------------------------------------------------
    def try_acquire_or_renew(self) -> list[int]:
        """One round over every shard, starting at our own; the shards held afterwards."""
        if self._started is None:
            self._started = self._clock.monotonic()
        for i in range(self.shards):
            k = (self._first + i) % self.shards
            self._electors[k].try_acquire_or_renew(may_take=functools.partial(self._may_take, k))
            if self._electors[k].is_leader or self._electors[k].valid_holder:
                self._unheld_since.pop(k, None)
        return self.held()

    def run(self, stop: threading.Event) -> None:
        """A round every ``retry_period`` until ``stop``, then `release` of every shard."""
        run_rounds(self.try_acquire_or_renew, self.release, clock=self._clock,
                   period=self.config.retry_period, stop=stop)  # fmt: skip

    def release(self) -> bool:
        """Give every held shard up so that peers take them at once; ``True`` if any was."""
        released = [e.release() for e in self._electors]  # every one, not up to the first
        return any(released)

    def _may_take(self, k: int, expired: bool) -> bool:
        """The share rules of the module docstring, for shard ``k``."""
        now = self._clock.monotonic()
        since = self._unheld_since.setdefault(k, now)
        lease = self.config.lease_duration.total_seconds()
        if now - since >= lease:
            logger.info("shard %d unheld for %gs: taking it whatever the share", k, now - since)
            return True
        held = sum(e.is_leader for e in self._electors)
        live = len({h for e in self._electors if (h := e.valid_holder)} | {self.config.identity})
        assert self._started is not None
        starting = now - self._started < 2 * lease
        peers = live if expired and not starting else max(live, self.expected)
        return held < math.ceil(self.shards / peers)
