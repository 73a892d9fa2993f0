"""`Gatherer`: the outside reads of every due target at once, bounded by the cycle's deadline.

A cycle used to read each target in turn: with a hanging Prometheus (3 s timeout, 2 retries)
two targets took ~20 s, a cycle of many targets had no end, and SIGTERM waited for all of it.
Now phase 1 (`TargetRuntime.gather`: the scaled object and the newest load, I/O only, nothing
changed) runs on a bounded pool of threads; the cycle waits for the reads until its deadline or
until the process is told to stop, and what has not come back by then is skipped with a reason
(counted as a failed cycle of its target, so it falls back in time; a read still running is
never started twice). Reads that come back are decided in the targets' order once all are back
or half the deadline has passed, then each as it comes back. The same
pool gives the floors back on shutdown, all at once, within a budget that fits the pod's grace
period.

Deadlines are real time (`time.monotonic`), whatever the controller's clock: the work they bound
takes real time, also under the demo's virtual clock.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Generic, TypeVar

from forescale.scaler.domain import TargetName

__all__ = ["Gatherer", "Reads", "restore_all"]

log = logging.getLogger(__name__)

T = TypeVar("T")
_SLICE = 0.2
"""Seconds between looks at the stop event while waiting (how soon SIGTERM is noticed)."""


class Reads(Generic[T]):
    """One round of jobs on the pool: `collect` what has finished, in the jobs' order."""

    def __init__(self, order: list[TargetName], started: float) -> None:
        self.order, self.started = order, started
        self.pending: dict[Future[T], TargetName] = {}
        self.refused: dict[TargetName, str] = {}
        """Not started: the target's previous read is still running."""

    def collect(
        self, *, until: float, stop: threading.Event | None = None, every: bool = True
    ) -> list[tuple[TargetName, Future[T]]]:
        """Wait until every read has finished (``every``) or the first one does, or until the
        monotonic time ``until``, or ``stop``; the finished ones, in the jobs' order."""
        how = ALL_COMPLETED if every else FIRST_COMPLETED
        while self.pending:
            left = until - time.monotonic()
            if left <= 0 or (stop is not None and stop.is_set()):
                break
            done, waiting = wait(self.pending, timeout=min(left, _SLICE), return_when=how)
            if not waiting or (done and not every):
                break
        finished = [future for future in self.pending if future.done()]
        names = {future: self.pending.pop(future) for future in finished}
        rank = {name: i for i, name in enumerate(self.order)}
        return sorted(((n, f) for f, n in names.items()), key=lambda item: rank[item[0]])


class Gatherer:
    """A bounded pool for per-target I/O; see the module docstring."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="forescale-io")
        self._running: dict[TargetName, tuple[Future[Any], float]] = {}
        self._lock = threading.Lock()

    def start(self, jobs: Mapping[TargetName, Callable[[], T]]) -> Reads[T]:
        """Submit every job, except for a target whose previous read has not returned."""
        reads: Reads[T] = Reads(list(jobs), time.monotonic())
        for name, job in jobs.items():
            busy = self._busy(name)
            if busy is not None:
                reads.refused[name] = f"its previous read has not returned after {busy:.0f} s"
                continue
            future = self._pool.submit(job)
            with self._lock:
                self._running[name] = (future, reads.started)
            future.add_done_callback(functools.partial(self._finished, name))
            reads.pending[future] = name
        return reads

    def close(self) -> None:
        """Stop taking jobs; reads still running are left to finish on their own."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _busy(self, name: TargetName) -> float | None:
        with self._lock:
            running = self._running.get(name)
        if running is None or running[0].done():
            return None
        return time.monotonic() - running[1]

    def _finished(self, name: TargetName, _: object) -> None:
        with self._lock:
            running = self._running.get(name)
            if running is not None and running[0].done():
                del self._running[name]


def restore_all(jobs: Mapping[TargetName, Callable[[], object]], *, workers: int,
                seconds: float) -> None:  # fmt: skip
    """Give floors back on shutdown: every release at once on a pool of its own (the cycle's
    may be stuck in hung reads), within ``seconds``; each outcome logged, a floor not restored
    in time at ERROR."""
    pool = Gatherer(max(1, min(len(jobs), workers)))
    try:
        releases = pool.start(jobs)
        for name, future in releases.collect(until=releases.started + seconds):
            error = future.exception()
            if error is None:
                log.info("%s: floor restored on shutdown", name)
            else:
                log.error("%s: could not restore the floor on shutdown: %s", name, error)
    finally:
        pool.close()
    for name in releases.pending.values():
        log.error("%s: floor NOT restored on shutdown: the shutdown budget "
                  "(controller.shutdown_seconds = %g s) ran out", name, seconds)  # fmt: skip
