"""Fleet retraining: the training pass over a chunk of targets, run wherever a worker is.

`train_chunk` is the unit of work an executor ships (`scaler.training.dask_executor` sends one per
chunk of targets to a Dask worker). It needs nothing from the process that submitted it but a
`FleetJob` and the chunk:

- the worker builds its own metrics source and model store from the job's factories, so clients
  (HTTP sessions, boto3) never travel, and credentials are the worker's own (its token file, its
  IAM role), as the controller's are;
- the chunk's histories are read ahead in batched queries (`PrefetchedSource`), one request per
  few dozen targets instead of one each; a target the batch cannot answer reads alone;
- each target goes through `train_target`, whose per-target error boundary is unchanged, and
  the worker writes the model store itself; only the reports travel back.

What escapes `train_chunk` is a failure of the task, not of one target: the source or store could
not be built, the metrics backend was unreachable for the whole batch, or something
`train_target` does not catch brought the task down. Executors retry those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from forescale.scaler.domain import TargetSpec
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.metrics.prefetch import PrefetchedSource
from forescale.scaler.modelstore.base import ModelStore
from forescale.scaler.training.targets import TrainTarget, from_spec, history_window
from forescale.scaler.training.train import TrainOptions, TrainReport, train_target

__all__ = ["FleetJob", "Item", "chunked", "failed_report", "item_name", "train_chunk"]

T = TypeVar("T")
Item = TargetSpec | TrainTarget
"""A controller target (its history is read on the worker) or a ready one (a trace's)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetJob:
    """What every chunk of one run shares; picklable when its factories are (module-level
    functions, or `functools.partial` of them, with settings as arguments)."""

    store: Callable[[], ModelStore]
    """Builds the model store on the worker."""
    source: Callable[[], MetricsSource] | None
    """Builds the metrics source on the worker (None: every item is a ready `TrainTarget`)."""
    options: TrainOptions
    now: datetime
    """One instant for the whole run: every target's window ends at the same time."""


def train_chunk(job: FleetJob, items: Sequence[Item]) -> list[TrainReport]:
    """Train ``items`` in order, writing the store here; one report per item, in order."""
    store = job.store()
    specs = [item for item in items if isinstance(item, TargetSpec)]
    if not specs:
        return [_train(job, store, item) for item in items if isinstance(item, TrainTarget)]
    if job.source is None:
        raise ValueError("a FleetJob with controller targets needs a metrics source factory")
    backend = job.source()
    try:
        source = PrefetchedSource(backend)
        for (start, end, step), queries in _windows(specs, now=job.now):
            source.prefetch(queries, start=start, end=end, step=step)
        return [
            _train(job, store, from_spec(item, source=source, now=job.now))
            if isinstance(item, TargetSpec)
            else _train(job, store, item)
            for item in items
        ]
    finally:
        close = getattr(backend, "close", None)
        if callable(close):
            close()


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive chunks of ``size`` items (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    for first in range(0, len(items), size):
        yield list(items[first : first + size])


def item_name(item: Item) -> str:
    return str(item.name)


def failed_report(item: Item, error: str) -> TrainReport:
    """The report of a target whose task failed: it was not trained, nothing was written."""
    return TrainReport(target=item_name(item), seconds=0.0, error=error)


def _train(job: FleetJob, store: ModelStore, target: TrainTarget) -> TrainReport:
    return train_target(target, store=store, options=job.options, now=job.now)


def _windows(
    specs: Sequence[TargetSpec], *, now: datetime
) -> Iterator[tuple[tuple[datetime, datetime, timedelta], list[str]]]:
    """The queries of ``specs`` grouped by history window: one batch reads one window."""
    groups: dict[tuple[datetime, datetime, timedelta], list[str]] = {}
    for spec in specs:
        start, end = history_window(spec, now=now)
        groups.setdefault((start, end, spec.step), []).append(spec.query)
    yield from groups.items()
