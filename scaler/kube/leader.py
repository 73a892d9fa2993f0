"""`LeaderElector`: one active controller among replicas, via a coordination.k8s.io/v1 Lease.

client-go's ``leaderelection`` semantics, in a clock we can drive:

- a candidate takes the Lease when it has no holder, or when its record has not changed for
  ``leaseDurationSeconds`` of *our* time since we first saw that record (client-go's observed
  time: no trust in other machines' clocks);
- every duration (lease validity, the renew deadline) is measured on the local *monotonic*
  clock (`Clock.monotonic`), never on wall time: a leader whose wall clock jumps back an hour
  still stops acting ``renew_deadline`` after its last renew, and a follower whose clock jumps
  forward does not take a Lease that is still being renewed;
- the holder renews (``renewTime``); taking over from someone else sets ``acquireTime`` and
  increments ``leaseTransitions``;
- every write is a PUT carrying the read ``resourceVersion``: two candidates racing for an
  expired Lease cannot both win, the second gets 409 and stays a follower;
- the leader stops acting once ``renew_deadline`` passes without a successful renew, well before
  anyone else may take over (``lease_duration`` after its last renew);
- `release` on shutdown clears the holder (and sets a 1 s duration) so a peer takes over now;
- a round may be told not to take a free or expired Lease (``may_take``): the shard Leases
  (`scaler.kube.shards`) use it so that one replica does not take every shard.

Times are written as ``MicroTime`` (six fractional digits), as the API server requires.
Drive one elector from one thread (`run`, or the controller loop calling
`try_acquire_or_renew`); `is_leader` may be read from any thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from forescale.scaler.clock import Clock
from forescale.scaler.errors import AccessDenied
from forescale.scaler.kube.client import LEASE, KubeApi, KubeError
from forescale.scaler.kube.events import micro_time

__all__ = ["LeaderElector", "LeaseConfig", "run_rounds"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseConfig:
    namespace: str
    identity: str
    """Unique per replica: the pod name (client-go uses hostname + a random suffix)."""
    name: str = "forescale-controller"
    lease_duration: timedelta = timedelta(seconds=15)
    renew_deadline: timedelta = timedelta(seconds=10)
    retry_period: timedelta = timedelta(seconds=2)

    def __post_init__(self) -> None:
        if not self.identity:
            raise ValueError("identity must not be empty")
        # client-go's own checks (JitterFactor 1.2).
        if not self.lease_duration > self.renew_deadline:
            raise ValueError("lease_duration must be greater than renew_deadline")
        if not self.renew_deadline > self.retry_period * 1.2:
            raise ValueError("renew_deadline must be greater than 1.2 x retry_period")


def run_rounds(
    one_round: Callable[[], object],
    release: Callable[[], object],
    *,
    clock: Clock,
    period: timedelta,
    stop: threading.Event,
) -> None:
    """``one_round`` every ``period`` until ``stop``, then ``release`` (also on the way out of
    an exception): a replica that stops gives its Leases up rather than let them expire."""
    try:
        while not stop.is_set():
            one_round()
            clock.sleep(period.total_seconds(), stop=stop)
    finally:
        release()


class LeaderElector:
    def __init__(self, api: KubeApi, *, config: LeaseConfig, clock: Clock) -> None:
        self._api = api
        self.config = config
        self._clock = clock
        self._lease: dict[str, Any] | None = None  # last Lease read or written
        self._observed_at: float | None = None  # our monotonic time when that record changed
        self._renewed_at: float | None = None  # monotonic: our last successful acquire/renew

    @property
    def is_leader(self) -> bool:
        """We hold the Lease and renewed it less than ``renew_deadline`` ago (monotonic)."""
        if self._renewed_at is None or self._holder() != self.config.identity:
            return False
        elapsed = self._clock.monotonic() - self._renewed_at
        return elapsed < self.config.renew_deadline.total_seconds()

    @property
    def holder(self) -> str | None:
        """The holder in the last record seen (``None``: nobody)."""
        return self._holder() or None

    @property
    def valid_holder(self) -> str | None:
        """The holder of the last record seen while that record is still valid on our clock
        (``None``: nobody, or a holder that stopped renewing): who is alive among the peers."""
        holder = self._holder()
        if not holder or self._observed_at is None:
            return None
        duration = float(self._spec().get("leaseDurationSeconds") or 0)
        return holder if self._observed_at + duration > self._clock.monotonic() else None

    def try_acquire_or_renew(self, *, may_take: Callable[[bool], bool] | None = None) -> bool:
        """One election round; ``True`` if we lead afterwards. API trouble is logged and
        counted as a failed round (leadership then lapses at the renew deadline); a 403 is
        raised as `AccessDenied`, because it will not fix itself. ``may_take(expired)`` is asked
        before taking a Lease that is not ours (``expired``: it has a holder who stopped
        renewing; else nobody holds it); our own is always renewed."""
        was_leader = self.is_leader
        try:
            self._round(may_take or (lambda _expired: True))
        except KubeError as err:
            if err.status in (401, 403):
                raise AccessDenied(f"leader election: {err.describe()}; {err.rbac_hint}") from None
            logger.warning("leader election round failed: %s", err)
        leading = self.is_leader
        if leading != was_leader:
            logger.info(
                "%s %s leadership of lease %s/%s",
                self.config.identity,
                "acquired" if leading else "lost",
                self.config.namespace,
                self.config.name,
            )
        return leading

    def release(self) -> bool:
        """Give the Lease up so a peer can take over at once; ``True`` if released."""
        if self._lease is None or self._holder() != self.config.identity:
            return False
        now = micro_time(self._clock)
        spec = {
            "leaseDurationSeconds": 1,
            "acquireTime": now,
            "renewTime": now,
            "leaseTransitions": self._spec().get("leaseTransitions", 0),
        }
        try:
            self._store(self._replace(spec))
        except KubeError as err:
            logger.warning("could not release lease: %s", err)
            return False
        self._renewed_at = None
        logger.info("%s released lease %s", self.config.identity, self.config.name)
        return True

    def run(self, stop: threading.Event) -> None:
        """client-go's loop: a round every ``retry_period`` until ``stop``, then `release`."""
        run_rounds(self.try_acquire_or_renew, self.release, clock=self._clock,
                   period=self.config.retry_period, stop=stop)  # fmt: skip

    # -- internals ----------------------------------------------------------------------------
    def _round(self, may_take: Callable[[bool], bool]) -> None:
        now = self._clock.monotonic()  # taken before the request: the deadline errs early
        try:
            lease = self._api.get(LEASE, namespace=self.config.namespace, name=self.config.name)
        except KubeError as err:
            if err.status != 404:
                raise
            if may_take(False):
                self._create()
            return
        self._observe(lease, now)
        spec = self._spec()
        holder = spec.get("holderIdentity") or ""
        duration = float(spec.get("leaseDurationSeconds") or 0)
        assert self._observed_at is not None
        if holder and holder != self.config.identity and self._observed_at + duration > now:
            return  # someone else holds a valid lease
        ours = holder == self.config.identity
        if not ours and not may_take(bool(holder)):
            return
        stamp = micro_time(self._clock)
        new_spec = {
            "holderIdentity": self.config.identity,
            "leaseDurationSeconds": int(self.config.lease_duration.total_seconds()),
            "acquireTime": spec.get("acquireTime", stamp) if ours else stamp,
            "renewTime": stamp,
            "leaseTransitions": spec.get("leaseTransitions", 0) + (0 if ours else 1),
        }
        try:
            self._store(self._replace(new_spec))
        except KubeError as err:
            if err.status != 409:
                raise
            logger.info("lease %s changed while we wrote it; staying follower", self.config.name)
            return
        self._renewed_at = now

    def _create(self) -> None:
        stamp = micro_time(self._clock)
        body = {
            "apiVersion": LEASE.api_version,
            "kind": LEASE.kind,
            "metadata": {"name": self.config.name, "namespace": self.config.namespace},
            "spec": {
                "holderIdentity": self.config.identity,
                "leaseDurationSeconds": int(self.config.lease_duration.total_seconds()),
                "acquireTime": stamp,
                "renewTime": stamp,
                "leaseTransitions": 0,
            },
        }
        now = self._clock.monotonic()
        try:
            self._store(self._api.create(LEASE, namespace=self.config.namespace, body=body))
        except KubeError as err:
            if err.status != 409:
                raise
            return  # another candidate created it first
        self._renewed_at = now

    def _replace(self, spec: dict[str, Any]) -> dict[str, Any]:
        assert self._lease is not None
        body = {**self._lease, "spec": spec}
        return self._api.replace(
            LEASE, namespace=self.config.namespace, name=self.config.name, body=body
        )

    def _observe(self, lease: dict[str, Any], now: float) -> None:
        version = (lease.get("metadata") or {}).get("resourceVersion")
        if self._lease is None or version != self._lease["metadata"].get("resourceVersion"):
            self._observed_at = now
        self._lease = lease

    def _store(self, lease: dict[str, Any]) -> None:
        self._lease = lease
        self._observed_at = self._clock.monotonic()

    def _spec(self) -> dict[str, Any]:
        spec = (self._lease or {}).get("spec") or {}
        return spec if isinstance(spec, dict) else {}

    def _holder(self) -> str:
        return str(self._spec().get("holderIdentity") or "")
