"""`Controller`: the control loop over all targets.

``run_once`` polls the targets, runs one cycle per target, and records what happened. A failure in
one target is logged, counted and shown in its status; it never stops the others. Fits are
budgeted per cycle so that many targets due at once cannot stretch a cycle. Only the leader
actuates and writes history and statuses (a follower computes everything, like a dry run, and
shows it in its own API and metrics: two replicas on one store write each row once). On shutdown
the floors are given back to their owners when ``restore_on_shutdown`` is set. A new leader also
releases floors that no target claims any more (their object deleted while no leader ran).
Sharded, a replica drives the targets of the shards it holds (`scaler.controller.sharding`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future

from forescale.scaler.actuators.base import Actuator
from forescale.scaler.clock import Clock
from forescale.scaler.controller.cycle import (
    ControlSettings,
    CycleReport,
    CycleState,
    CycleTimeout,
)
from forescale.scaler.controller.gathering import Gatherer, restore_all
from forescale.scaler.controller.outcome import Gathered
from forescale.scaler.controller.pauses import PauseKeeper, PauseOverrides
from forescale.scaler.controller.reclaim import release_unclaimed
from forescale.scaler.controller.reporting import Reporter
from forescale.scaler.controller.runtime import TargetRuntime
from forescale.scaler.controller.sharding import Elsewhere, Ownership, drop_others
from forescale.scaler.controller.targets import TargetProvider
from forescale.scaler.controller.view import TargetStatus, UnknownTarget
from forescale.scaler.domain import TargetName, TargetSpec, TargetsUpdate
from forescale.scaler.errors import ScalerError
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.modelstore.base import ModelStore

__all__ = ["ControlSettings", "Controller", "CycleReport", "CycleTimeout"]

log = logging.getLogger(__name__)


class Controller:
    def __init__(
        self,
        *,
        targets: TargetProvider,
        source: MetricsSource,
        actuators: Mapping[str, Actuator],
        clock: Clock,
        settings: ControlSettings | None = None,
        reporter: Reporter | None = None,
        is_leader: Callable[[], bool] = lambda: True,
        models: ModelStore | None = None,
        ownership: Ownership | None = None,
    ) -> None:
        self.targets = targets
        self.source = source
        self.actuators = dict(actuators)
        self.clock = clock
        self.settings = settings or ControlSettings()
        self.reporter = reporter or Reporter()
        self.is_leader = is_leader
        self.models = models
        """Model store whose promoted models the targets follow (None: each fits its own)."""
        self.ownership = ownership  # sharded: the shards held (None: all, under is_leader)
        self.elsewhere = Elsewhere()  # sharded: the targets other replicas drive
        self.runtimes: dict[TargetName, TargetRuntime] = {}
        self.invalid: dict[str, str] = {}
        self.cycles = 0
        self._lock = threading.RLock()
        self._polled = False
        """The latest poll of the targets succeeded (so the claims below are complete)."""
        self._unknown_claims = False
        """Some invalid object has no last valid spec: which object it names is unknown."""
        self._claimed_by_invalid: set[object] = set()
        self._reclaimed_at: float | None = None
        """Monotonic time of the last sweep for unclaimed floors."""
        self._decided: dict[TargetName, tuple[TargetRuntime, float]] = {}
        """Per target: the runtime that last decided and the monotonic time it did."""
        self._late_last: set[TargetName] = set()
        """Targets the last cycle's deadline reached before their turn: they go first next."""
        self._pauses = PauseOverrides()
        self._io = Gatherer(self.settings.io_workers)

    # -- one cycle ------------------------------------------------------------------------------
    def run_once(self, *, stop: threading.Event | None = None) -> CycleReport:
        """One cycle: every due target read at once (`Gatherer`), then decided and acted on
        until the cycle's deadline or ``stop``; each write asks for the Lease as it is made,
        since leadership may lapse while the cycle runs."""
        started = time.perf_counter()
        now, tick = self.clock.now(), self.clock.monotonic()
        leader = self.is_leader()
        cycle = CycleState(now=now, leader=leader, dry_run=self.settings.dry_run or not leader,
                           budget=self.settings.max_refits_per_cycle, tick=tick)  # fmt: skip
        self._sync_targets(dry_run=cycle.dry_run)
        self._reclaim(tick, dry_run=cycle.dry_run)
        with self._lock:  # held for the dict only: a cycle's network I/O never blocks the API
            runtimes = {n: r for n, r in self.runtimes.items() if self._due(r, tick)}
        runtimes = self._late_first(runtimes)
        deadline = self.settings.deadline_seconds
        reads = self._io.start(self._reads(runtimes, cycle))
        first = True
        while reads.pending or first:  # in order once all are back (or half the deadline)
            until = reads.started + (deadline / 2 if first else deadline)
            batch, first = reads.collect(until=until, stop=stop, every=first), False
            for name, read in batch:
                late = self._late(started, deadline, stop)
                if late is not None:
                    cycle.skipped[name] = late
                elif self._step(runtimes[name], read, cycle):
                    self._decided[name] = (runtimes[name], tick)
            if self._late(started, deadline, stop) is not None:
                break
        late = f"the cycle's deadline ({deadline:g} s) passed before its read returned"
        hung = {**reads.refused, **dict.fromkeys(reads.pending.values(), late)}
        for name, why in hung.items():  # its outside read hung: a failed cycle of its own
            if stop is not None and stop.is_set():
                cycle.skipped[name] = "Forescale is shutting down"
            else:
                self._fail(runtimes[name], CycleTimeout(f"not decided: {why}"), cycle)
        for target, why in cycle.skipped.items():
            log.warning("%s: skipped this cycle: %s", target, why)
        self._late_last = {TargetName(t) for t, why in cycle.skipped.items() if "deadline" in why}
        self.cycles += 1
        seconds = time.perf_counter() - started
        self.reporter.finished(seconds=seconds, at=now, leader=leader)
        return CycleReport(
            at=now, seconds=seconds, outcomes=cycle.outcomes, errors=cycle.errors,
            invalid=dict(self.invalid), leader=leader, skipped=cycle.skipped,
        )  # fmt: skip

    def _step(self, runtime: TargetRuntime, read: Future[Gathered], cycle: CycleState) -> bool:
        """Phases 2 and 3 of one target, then its report; ``False`` if it failed."""
        name = str(runtime.spec.name)
        try:
            decided = runtime.decide(read.result(), may_refit=cycle.budget > 0)
            outcome = runtime.act(decided, actuator=self._actuator(runtime.spec),
                                  dry_run=cycle.dry_run, may_write=self._writes(name))  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a failure in one target is its own
            if not isinstance(exc, (ScalerError, ValueError, ArithmeticError)):
                log.exception("%s: unexpected failure", name)
            self._fail(runtime, exc, cycle)
            return False
        cycle.budget -= outcome.refit_reason is not None
        cycle.outcomes[name] = outcome
        # Only the leader writes history and statuses, asked again now: the Lease may have
        # lapsed since the cycle began.
        self.reporter.cycle(runtime, outcome, now=cycle.now, spec_error=self.invalid.get(name),
                            leader=cycle.leader and self._writes(name)())  # fmt: skip
        return True

    def _late_first(
        self, runtimes: Mapping[TargetName, TargetRuntime]
    ) -> dict[TargetName, TargetRuntime]:
        """``runtimes`` with those the last cycle ran out of time for first. Targets are decided
        in the jobs' order, so a cycle that always overran its deadline skipped the same last
        targets every time: never decided, never counted as troubled, their floors frozen."""
        late = {n: r for n, r in runtimes.items() if n in self._late_last}
        return {**late, **{n: r for n, r in runtimes.items() if n not in late}}

    def _reads(
        self, runtimes: Mapping[TargetName, TargetRuntime], cycle: CycleState
    ) -> dict[TargetName, Callable[[], Gathered]]:
        """Phase 1 of each target, as a job for the pool (a target with no actuator fails)."""
        jobs: dict[TargetName, Callable[[], Gathered]] = {}
        for name, runtime in runtimes.items():
            try:
                actuator = self._actuator(runtime.spec)
            except ScalerError as exc:
                self._fail(runtime, exc, cycle)
                continue
            jobs[name] = functools.partial(
                runtime.gather,
                now=cycle.now,
                source=self.source,
                actuator=actuator,
                tick=cycle.tick,
            )
        return jobs

    @staticmethod
    def _late(started: float, deadline: float, stop: threading.Event | None) -> str | None:
        """Why the remaining targets are not decided this cycle (None: there is time)."""
        if stop is not None and stop.is_set():
            return "Forescale is shutting down"
        if time.perf_counter() - started > deadline:
            return f"the cycle's deadline ({deadline:g} s) passed before its turn"
        return None

    def run_forever(self, stop: threading.Event) -> None:
        """``run_once``, then sleep to the next tick, until ``stop`` is set; then `shutdown`.

        Whatever a cycle raises, the floors are given back on the way out: an ``Exception`` is
        logged and the next tick runs (a bug must not stop every target's control for good);
        anything else (KeyboardInterrupt, SystemExit) ends the loop through `shutdown` first."""
        interval = self.settings.interval_seconds
        try:
            while not stop.is_set():
                started = self.clock.monotonic()
                try:
                    self.run_once(stop=stop)
                except Exception:  # noqa: BLE001 - logged; the loop must outlive a bad cycle
                    log.exception("control cycle failed; the next one runs at the next tick")
                # The next tick on the clock's monotonic reading: a real cycle took time, a
                # virtual one did not, and a wall-clock jump meanwhile changes neither.
                spent = self.clock.monotonic() - started
                self.clock.sleep(min(interval, max(0.0, interval - spent)), stop=stop)
        finally:
            try:
                self.shutdown()
            finally:
                self._io.close()

    def shutdown(self) -> None:
        """Give the floors back when configured (SIGTERM), as the leader only: all at once, on
        a pool of their own (the cycle's may be stuck in hung reads), within
        ``shutdown_seconds`` so that it fits the pod's grace period. One target's failure never
        keeps the others' floors raised; a floor not restored in time is logged at ERROR."""
        if not self.settings.restore_on_shutdown or self.settings.dry_run or not self.is_leader():
            return
        with self._lock:
            runtimes = {n: r for n, r in self.runtimes.items() if r.applied}
        jobs = {
            name: functools.partial(
                runtime.release,
                self._actuator(runtime.spec),
                reason="Forescale is shutting down",
                dry_run=False,
                may_write=self._writes(name),
            )  # fmt: skip
            for name, runtime in runtimes.items()
            if runtime.spec.ref.kind in self.actuators
        }
        restore_all(jobs, workers=self.settings.io_workers, seconds=self.settings.shutdown_seconds)

    # -- what the API reads -------------------------------------------------------------------
    def runtime(self, name: str) -> TargetRuntime:
        """The target named ``name``, by one locked lookup; `UnknownTarget` if there is none."""
        with self._lock:
            runtime = self.runtimes.get(TargetName(name))
        if runtime is None:
            raise UnknownTarget(f"no target named {name!r}")
        return runtime

    def set_paused(self, name: str, paused: bool, *, by: str = "api") -> TargetStatus:
        """Pause or resume ``name`` where every replica reads it (`scaler.controller.pauses`),
        then here at once; a `ScalerError` when it cannot be stored there (never a pause that
        only this replica knows while the leader keeps scaling)."""
        runtime = self.runtime(name)
        if isinstance(self.targets, PauseKeeper):
            self.targets.set_paused(runtime.spec.name, paused, by=by)
            self._pauses.written(runtime.spec.name, paused)
        return runtime.set_paused(paused)

    def statuses(self) -> list[TargetStatus]:
        """Every target's status snapshot (never waits for a cycle)."""
        with self._lock:
            runtimes = list(self.runtimes.values())
        return [runtime.status() for runtime in runtimes]

    # -- targets --------------------------------------------------------------------------------
    def _sync_targets(self, *, dry_run: bool) -> None:
        self._polled = False
        poll = self._pauses.poll_started()
        try:
            update = self.targets.poll()
        except ScalerError as exc:
            log.warning("could not list targets, keeping the current ones: %s", exc)
            return
        except Exception:  # noqa: BLE001 - whatever the source raised, the targets stay
            log.exception("listing targets failed, keeping the current ones")
            return
        self._polled = True
        self._unknown_claims = any(i.last_valid is None for i in update.invalid)
        self._claimed_by_invalid = {i.last_valid.ref for i in update.invalid if i.last_valid}
        if self.ownership is not None:
            update = self._owned(update, self.ownership)
        self.invalid = {str(i.name): i.message for i in update.invalid}
        for spec in (*update.deleted, *update.retargeted):
            try:
                self._forget(spec, dry_run=dry_run, replaced=spec in update.retargeted)
            except Exception:  # noqa: BLE001 - one target's trouble is its own
                log.exception("%s: could not remove the target", spec.name)
        for spec in update.targets:
            runtime = self.runtimes.get(spec.name)
            if runtime is None or runtime.spec != spec:
                try:
                    self._install(spec, previous=runtime)
                except Exception as exc:  # noqa: BLE001 - the spec is refused, the rest run
                    log.exception("%s: could not start the target", spec.name)
                    self.invalid[str(spec.name)] = f"{type(exc).__name__}: {exc}"
        if isinstance(self.targets, PauseKeeper):
            with self._lock:
                runtimes = dict(self.runtimes)
            self._pauses.apply(runtimes, frozenset(getattr(update, "paused", ())), poll=poll)

    def _reclaim(self, tick: float, *, dry_run: bool) -> None:
        """Release the floors no target claims (see `Reclaimable`): at a new leader's first
        cycle, then every ``reclaim_every``. Skipped while the claims are not fully known (the
        poll failed, or an invalid object's target cannot be told), so nothing a user still
        manages is ever released by mistake."""
        sweeps = self.ownership.sweeps if self.ownership is not None else self.is_leader
        if dry_run or not sweeps():
            self._reclaimed_at = None  # a follower (or dry run) sweeps again once it leads
            return
        if not self._polled or self._unknown_claims:
            return
        every = self.settings.reclaim_every.total_seconds()
        if self._reclaimed_at is not None and tick - self._reclaimed_at < every:
            return
        self._reclaimed_at = tick
        claimed = {rt.spec.ref for rt in self.runtimes.values()} | self._claimed_by_invalid
        release_unclaimed(self.actuators.values(), claimed | self.elsewhere.claims,
                          may_write=sweeps)  # fmt: skip

    def _install(self, spec: TargetSpec, *, previous: TargetRuntime | None) -> None:
        telemetry = self.reporter.telemetry
        runtime = TargetRuntime(spec, settings=self.settings.runtime, models=self.models,
                                step_timer=telemetry.timed_step if telemetry else None)  # fmt: skip
        if previous is not None:
            runtime.carry_over(previous)
        with self._lock:
            self.runtimes[spec.name] = runtime
        log.info("%s: %s target %s", spec.name, "updated" if previous else "added", spec.ref)

    def _forget(self, spec: TargetSpec, *, dry_run: bool, replaced: bool) -> None:
        with self._lock:
            runtime = self.runtimes.get(spec.name)
            if not replaced:
                self.runtimes.pop(spec.name, None)
        if not replaced:
            self.reporter.forget(str(spec.name))
            self._decided.pop(spec.name, None)
        if runtime is None or not runtime.applied:
            return
        why = (
            "its PredictiveAutoscaler now names another object"
            if replaced
            else "its PredictiveAutoscaler was deleted"
        )
        try:
            runtime.release(self._actuator(spec), reason=f"floor restored: {why}", dry_run=dry_run,
                            may_write=self._writes(spec.name))  # fmt: skip
        except ScalerError as exc:
            log.error("%s: could not restore the floor of %s: %s", spec.name, spec.ref, exc)

    def _writes(self, name: str) -> Callable[[], bool]:
        """Asked as a write for ``name`` is made: our Lease, or sharded, its shard's."""
        own = self.ownership
        return self.is_leader if own is None else functools.partial(own.owns, name)

    def _owned(self, update: TargetsUpdate, ownership: Ownership) -> TargetsUpdate:
        """The targets of the shards we hold; the others' runtimes dropped, their floors
        untouched (the new owner adopts them; see `scaler.controller.sharding`)."""
        update = self.elsewhere.split(update, ownership)
        with self._lock:
            lost = drop_others(self.runtimes, update)
        for name in lost:
            self.reporter.forget(str(name))
            self._decided.pop(name, None)
        return update

    def _due(self, runtime: TargetRuntime, tick: float) -> bool:
        """A target decides every ``spec.interval`` (never more often than the loop runs), on
        the monotonic clock; half a loop interval of slack keeps a 60 s target from skipping a
        59.9 s tick. A new or edited target (a new runtime) and one that never decided are due
        now."""
        runtime_, at = self._decided.get(runtime.spec.name, (None, 0.0))
        if runtime_ is not runtime:
            return True
        slack = self.settings.interval_seconds / 2
        return tick - at >= runtime.spec.policy.interval.total_seconds() - slack

    def _actuator(self, spec: TargetSpec) -> Actuator:
        try:
            return self.actuators[spec.ref.kind]
        except KeyError:
            raise ScalerError(
                f"no actuator for {spec.ref.kind} targets is configured (enable it in settings)"
            ) from None

    def _fail(self, runtime: TargetRuntime, exc: BaseException, cycle: CycleState) -> None:
        """The target's cycle raised: counted by its fallback machine (which gives the floor
        back at the threshold), logged, shown in its status and metrics."""
        name = str(runtime.spec.name)
        actuator = self.actuators.get(runtime.spec.ref.kind)
        cycle.errors[name] = message = runtime.fail(
            exc, actuator=actuator, dry_run=cycle.dry_run, may_write=self._writes(name)
        )
        log.warning("%s: cycle failed (%s): %s", name, runtime.status().mode, message)
        self.reporter.failed(runtime, exc, now=self.clock.now(), spec_error=self.invalid.get(name),
                             leader=self._writes(name)())  # fmt: skip
