"""Fleet retraining on a Dask distributed cluster (``forescale train --executor dask://HOST:8786``).

Retraining thousands of targets is embarrassingly parallel and CPU-bound (a fifth of a second to
a second per target on one core). Rather than a home-made pool of machines, the pass runs on Dask,
an engine operators already run on Kubernetes (the dask-kubernetes operator) and that already
schedules, retries, rebalances and survives lost workers.

How a run goes:

1. the targets are cut into chunks (a few dozen each: one batched history read per chunk, few
   enough tasks that scheduling costs nothing, enough that the workers stay balanced);
2. each chunk is one task, `fleet.train_chunk`, submitted with ``retries=``: Dask re-runs a task
   that raised (the backend was unreachable for the batch, the worker could not build its store)
   on any worker; Dask itself re-runs a task whose worker died, until it names it `KilledWorker`;
3. a chunk that still fails is split into one task per target, each with the same retries, so one
   target that brings its task down (a crash in native code, a worker killed for its memory)
   costs only itself; a single target that still fails gets a `TrainReport` naming the error;
4. progress is fed from the futures as they complete, in targets; reports come back in the order
   of the targets given.

A retried chunk trains its targets again: a target saved before the failure gets a second,
equally good version (the store keeps ``models_keep`` of them). That is the price of retrying
whole chunks; training is idempotent in effect.

This module imports ``distributed`` at its top: it is imported only when a Dask executor is
asked for, so ``forescale`` itself never needs the ``dask`` extra (an import-linter contract and a
test hold that).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from concurrent.futures import CancelledError

import dask
from distributed import Client, Future, as_completed

from forescale.scaler.errors import ConfigError
from forescale.scaler.training.fleet import FleetJob, Item, chunked, failed_report, train_chunk
from forescale.scaler.training.train import ProgressBar, TrainReport

__all__ = ["MAX_CHUNK", "chunk_size", "train_on_dask"]

log = logging.getLogger(__name__)

MAX_CHUNK = 50
"""Largest automatic chunk: the last chunk to finish (~50 x 0.2-1 s) bounds the idle tail."""
CHUNKS_PER_WORKER = 4
"""Automatic chunks aim at this many per worker, so a slow chunk does not idle the others."""


def train_on_dask(
    address: str,
    items: Sequence[Item],
    *,
    job: FleetJob,
    chunk: int | None = None,
    retries: int = 2,
    progress: ProgressBar | None = None,
    connect_timeout: float = 10.0,
) -> list[TrainReport]:
    """Train ``items`` on the Dask cluster whose scheduler is at ``address`` (``tcp://host:8786``);
    one report per item, in order. ``chunk``: targets per task (None: `chunk_size`).

    An unreachable scheduler raises `ConfigError` (one line for the CLI), before any work."""
    if retries < 0:
        raise ValueError(f"retries must not be negative, got {retries}")
    try:
        client = Client(address, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {address}: {exc}; check the address (the "
            "scheduler's service, port 8786) and that this pod may connect to it"
        ) from None
    with client:
        _warn_about_slow_workers(client)
        workers = len(client.scheduler_info().get("workers", {}))
        size = chunk or chunk_size(len(items), workers=workers)
        log.info("training %d target(s) on %s: %d worker(s), %d per task, %d retries",
                 len(items), address, workers, size, retries)  # fmt: skip
        return _Run(client, job=job, retries=retries, progress=progress).run(items, size)


def worker_settings() -> tuple[str | None, bool]:
    """(``MALLOC_TRIM_THRESHOLD_``, Dask's task profiler on?) where this runs (on a worker)."""
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), bool(
        dask.config.get("distributed.worker.profile.enabled", default=False)
    )


def _warn_about_slow_workers(client: Client) -> None:
    """Say so when workers run with the settings that made training 2-4x slower per target.

    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in its worker, which switches glibc's
    dynamic mmap threshold off: each large array then costs page faults, as much kernel time
    as Python time per target. The statistical profiler samples every task's stack every 10 ms.
    The Forescale image turns both off (``/etc/dask/forescale.yaml``); other images may not."""
    seen: dict[str, tuple[str | None, bool]] = client.run(worker_settings)
    trimmed = sorted({trim for trim, _ in seen.values() if trim is not None})
    profiled = sum(profile for _, profile in seen.values())
    if trimmed:
        log.warning("%d Dask worker(s) run with MALLOC_TRIM_THRESHOLD_=%s, which makes training "
                    "about 2x slower; run them from the Forescale image or unset it (see "
                    "docs/deploy.md)", sum(t is not None for t, _ in seen.values()),
                    ",".join(trimmed))  # fmt: skip
    if profiled:
        log.warning("%d Dask worker(s) profile every task (distributed.worker.profile.enabled), "
                    "which slows training; see docs/deploy.md", profiled)  # fmt: skip


def chunk_size(targets: int, *, workers: int) -> int:
    """Targets per task: `CHUNKS_PER_WORKER` tasks per worker, at most `MAX_CHUNK` targets."""
    per = math.ceil(targets / (CHUNKS_PER_WORKER * max(1, workers)))
    return max(1, min(MAX_CHUNK, per))


class _Run:
    """One run's futures: which targets (by position) each holds, what came back, what to split
    or report."""

    def __init__(
        self, client: Client, *, job: FleetJob, retries: int, progress: ProgressBar | None
    ) -> None:
        self.client, self.job, self.retries, self.progress = client, job, retries, progress
        self.held: dict[Future[list[TrainReport]], list[int]] = {}
        self.reports: dict[int, TrainReport] = {}
        self.items: Sequence[Item] = ()

    def run(self, items: Sequence[Item], size: int) -> list[TrainReport]:
        self.items = items
        positions = list(range(len(items)))
        futures = [self._submit(part) for part in chunked(positions, size)]
        pending = as_completed(futures, loop=self.client.loop)
        if self.progress is not None:
            self.progress(0, len(items))
        for future in pending:
            part = self.held.pop(future)
            error = _failure(future)
            if error is None:
                self._keep(part, future.result())
            elif len(part) > 1:
                log.warning("a task of %d targets failed (%s); retrying them one by one",
                            len(part), error)  # fmt: skip
                for position in part:
                    pending.add(self._submit([position]))
            else:
                why = f"task failed after {self.retries + 1} attempt(s): {error}"
                self._keep(part, [failed_report(items[part[0]], why)])
            future.release()
        return [self.reports[i] for i in positions]

    def _submit(self, part: list[int]) -> Future[list[TrainReport]]:
        chunk = [self.items[i] for i in part]
        future = self.client.submit(train_chunk, self.job, chunk, retries=self.retries, pure=False)
        self.held[future] = part
        return future

    def _keep(self, part: list[int], reports: list[TrainReport]) -> None:
        if len(reports) != len(part):  # a worker running another version of forescale
            raise RuntimeError(f"a task returned {len(reports)} reports for {len(part)} targets")
        self.reports.update(zip(part, reports, strict=True))
        if self.progress is not None:
            self.progress(len(self.reports), len(self.items))


def _failure(future: Future[list[TrainReport]]) -> str | None:
    """Why the task failed (None: it did not); a lost scheduler cancels every future."""
    if future.status == "finished":
        return None
    try:
        exc = future.exception()
    except CancelledError:
        return "cancelled (the scheduler lost it or was shut down)"
    if exc is None:
        return f"ended {future.status}"
    return f"{type(exc).__name__}: {exc}"
