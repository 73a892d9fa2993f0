"""Fleet retraining: N targets in process vs on a two-worker Dask LocalCluster, in the same run.

Each target is a controller target (`TargetSpec`: 14 days of history at 5 minutes, model
``auto``, so the default candidates auto, ridge, fft, level and seasonal_naive are backtested,
the best refitted and saved to a directory model store). Both passes train the same targets
from the same synthetic histories into their own store:

1. in process: today's ``forescale train`` (`train_all` over `from_spec` targets);
2. on Dask: `train_on_dask` against a `LocalCluster` of two worker processes with one thread
   each (this machine has two cores), started and warmed up (imports, first fits) before the
   clock starts, as a long-lived cluster would be, with the worker settings the image ships
   (glibc's malloc left alone, Dask's profiler off: see `run`). Chunks are automatic.

Histories come from an in-memory synthetic source built on each worker (web-like traffic with
spikes, outages and level shifts, one seed per target), so the figure is training, not I/O; the
batched Prometheus reads are tested against a real Prometheus in tests/integration/training.
The speed-up is in-process wall time over Dask wall time; ideal is 2x on two cores.

    .venv/bin/python -m benchmarks.training_fleet --targets 1000   # writes RESULTS.md
    .venv/bin/python -m benchmarks.training_fleet --quick          # smoke test, prints only
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from benchmarks._common import command_line, machine_summary, markdown_table, write_section
from forescale.models.datasets import synthetic_traffic
from forescale.scaler.domain import HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.errors import EmptyResult, QueryError
from forescale.scaler.modelstore.directory import DirectoryModelStore
from forescale.scaler.training import TrainOptions, TrainReport, from_spec, train_all
from forescale.scaler.training.fleet import FleetJob

SECTION = "training_fleet"
NOW = pd.Timestamp("2026-12-01T00:00:00Z").to_pydatetime()
STEP = timedelta(minutes=5)
HISTORY = timedelta(days=14)
_SERVICE = re.compile(r'service="svc-(\d+)"')


class SyntheticSource:
    """A `MetricsSource` whose query ``load{service="svc-N"}`` is target N's synthetic traffic
    over any window asked (the same values for the same window, in any process)."""

    def range_query(
        self, query: str, *, start: datetime, end: datetime, step: timedelta
    ) -> pd.Series:
        match = _SERVICE.search(query)
        if match is None:
            raise EmptyResult(f"query {query!r} returned no series")
        grid = pd.date_range(pd.Timestamp(start).ceil(step), end, freq=step)
        days = (grid[-1] - grid[0]) / pd.Timedelta(days=1) + 1
        y = synthetic_traffic(days=days, freq=f"{int(step.total_seconds())}s",
                              seed=int(match[1]), start=grid[0].isoformat())  # fmt: skip
        return y.reindex(grid).astype(float)

    def range_query_by(
        self, query: str, *, label: str, start: datetime, end: datetime, step: timedelta
    ) -> dict[str, pd.Series]:
        del query, label, start, end, step  # every query is answered alone (PrefetchedSource)
        raise QueryError("the synthetic source answers one query at a time")


def spec(i: int) -> TargetSpec:
    name = f"fleet/svc-{i:05d}"
    return TargetSpec(
        name=TargetName(name), ref=HpaRef(namespace="fleet", name=f"svc-{i:05d}"),
        query=f'load{{service="svc-{i:05d}"}}', step=STEP, history=HISTORY, model="auto",
        policy=ScalingPolicy(capacity_per_replica=50.0, max_replicas=100, interval=STEP),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Pass:
    wall: float
    reports: list[TrainReport]
    load: tuple[float, float]
    """1-minute load average before and after."""

    @property
    def per_target(self) -> float:
        return self.wall / len(self.reports)


def in_process(specs: Sequence[TargetSpec], *, folder: Path, now: datetime) -> Pass:
    before = os.getloadavg()[0]
    store, source = DirectoryModelStore(folder), SyntheticSource()
    began = time.perf_counter()
    targets = [from_spec(s, source=source, now=now) for s in specs]
    reports = train_all(targets, store=store, options=TrainOptions(), now=now)
    return Pass(time.perf_counter() - began, reports, (before, os.getloadavg()[0]))


def on_dask(address: str, specs: Sequence[TargetSpec], *, folder: Path, now: datetime) -> Pass:
    from forescale.scaler.training.dask_executor import train_on_dask

    job = FleetJob(store=functools.partial(DirectoryModelStore, folder), source=SyntheticSource,
                   options=TrainOptions(), now=now)  # fmt: skip
    before = os.getloadavg()[0]
    began = time.perf_counter()
    reports = train_on_dask(address, specs, job=job)
    return Pass(time.perf_counter() - began, reports, (before, os.getloadavg()[0]))


def run(targets: int, *, progress: bool = True) -> tuple[Pass, Pass, dict[str, float]]:
    import dask
    from distributed import LocalCluster

    # The worker settings the image ships in /etc/dask/forescale.yaml (docs/deploy.md): the
    # nanny's MALLOC_TRIM_THRESHOLD_=65536 switches glibc's dynamic mmap threshold off, and every
    # large array then costs page faults: as much kernel time as Python time per target (a
    # 1,000-target run took 2x longer on two workers than in one process). Dask's statistical
    # profiler (a stack sample every 10 ms) cost 2x more on top.
    dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                     "distributed.worker.profile.enabled": False})  # fmt: skip
    now = NOW
    ceiling = [machine_ceiling(min(targets, 20))]
    _say(progress, f"two plain processes: {ceiling[0]:.2f}x one")
    specs = [spec(i) for i in range(targets)]
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                             host="127.0.0.1", dashboard_address=None,
                             worker_dashboard_address=None)  # fmt: skip
        with local as cluster:
            started = time.perf_counter() - began
            warm = [spec(targets + i) for i in range(4)]  # other targets: imports, first fits
            on_dask(cluster.scheduler_address, warm, folder=folder / "warm", now=now)
            warmed = time.perf_counter() - began - started
            _say(
                progress, f"cluster up in {started:.1f}s, warm in {warmed:.1f}s; {targets} on dask"
            )
            dask = on_dask(cluster.scheduler_address, specs, folder=folder / "dask", now=now)
        _say(progress, f"dask: {dask.wall:.1f}s; now {targets} in process")
        here = in_process(specs, folder=folder / "here", now=now)
        _say(progress, f"in process: {here.wall:.1f}s")
    ceiling.append(machine_ceiling(min(targets, 20)))
    return here, dask, {"cluster_start": started, "warm_up": warmed,
                        "ceiling_before": ceiling[0], "ceiling_after": ceiling[1]}  # fmt: skip


def train_block(first: int, count: int) -> float:
    """Seconds to train targets ``first ..`` (``count`` of them) in this process."""
    with tempfile.TemporaryDirectory(prefix="fleet-block-") as tmp:
        return in_process([spec(first + i) for i in range(count)], folder=Path(tmp), now=NOW).wall


def machine_ceiling(count: int) -> float:
    """What two plain processes (no Dask) give over one on this shared machine right now: the
    same ``count`` targets' work twice at once against once alone. Other sessions' load takes
    its share of the two cores; no executor here can do better than this."""
    with get_context("spawn").Pool(2) as pool:
        pool.starmap(train_block, [(10**6, 2), (10**6 + 2, 2)])  # imports, first fits
        one = train_block(0, count)
        began = time.perf_counter()
        pool.starmap(train_block, [(0, count), (count, count)])
        return 2 * one / (time.perf_counter() - began)


def report(here: Pass, dask: Pass, extra: dict[str, float], *, command: str) -> str:
    n = len(here.reports)
    speed_up = here.wall / dask.wall
    failed = sum(not r.ok for r in here.reports) + sum(not r.ok for r in dask.reports)
    same = sum(a.selected == b.selected for a, b in zip(here.reports, dask.reports, strict=True))
    target_seconds = statistics.median(r.seconds for r in here.reports)
    rows = [
        ["in process (`forescale train`, today)", f"{here.wall:.1f} s",
         f"{1e3 * here.per_target:.0f} ms", "1.00x", f"{here.load[0]:.1f} -> {here.load[1]:.1f}",
         f"{here.per_target * 10_000 / 60:.0f} min"],
        ["Dask LocalCluster, 2 worker processes x 1 thread", f"{dask.wall:.1f} s",
         f"{1e3 * dask.per_target:.0f} ms", f"{speed_up:.2f}x",
         f"{dask.load[0]:.1f} -> {dask.load[1]:.1f}", f"{dask.per_target * 10_000 / 60:.0f} min"],
    ]  # fmt: skip
    verdict = "within" if speed_up >= 2 / 1.3 else "NOT within"
    return "\n".join([
        "## Fleet retraining on Dask (`benchmarks/training_fleet.py`)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine_summary()}. The machine is shared by other sessions: the load "
        "average before and after each pass is in the table; a busy neighbour slows the Dask "
        "pass's two workers more than the single in-process thread.",
        "",
        f"{n:,} synthetic targets, 14 days at 5 minutes (4,032 points), model `auto`: the five "
        "default candidates backtested (200 origins over a 2-day tail), the best refitted and "
        "saved to a directory store. Same targets, same histories, same `now` in both passes.",
        "",
        markdown_table(["pass", "wall", "per target", "speed-up", "load 1-min",
                        "10,000 targets (extrapolated)"], rows),  # fmt: skip
        "",
        f"Speed-up **{speed_up:.2f}x** against an ideal 2x on two cores ({speed_up / 2:.0%} "
        f"efficiency): {verdict} the issue's bound of 1.3x of ideal (>= {2 / 1.3:.2f}x). "
        f"Median one target in process: {1e3 * target_seconds:.0f} ms. "
        f"Cluster start {extra['cluster_start']:.1f} s and worker warm-up (imports, first fits; 4 "
        f"other targets) {extra['warm_up']:.1f} s, not in the Dask wall time. "
        f"Both passes chose the same model for {same:,}/{n:,} targets; {failed} failed.",
        "",
        f"The machine's own ceiling at the time: two plain processes (no Dask) trained "
        f"{extra['ceiling_before']:.2f}x (before the passes) and {extra['ceiling_after']:.2f}x "
        "(after) as much as one in the same time (2 x 20 targets against 20): other sessions' "
        f"load takes its share of the two cores. Dask reached {speed_up:.2f}x, "
        f"{speed_up / max(extra['ceiling_before'], extra['ceiling_after']):.0%} of the better "
        "reading. "
        "The 10,000-target column is per-target time x 10,000, not a measurement: run "
        "`--targets 10000` (about "
        f"{(here.per_target + dask.per_target) * 10_000 / 60:.0f} min here) for the real figure.",
    ])  # fmt: skip


def _say(enabled: bool, message: str) -> None:
    if enabled:
        print(f"[training_fleet] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: 6 targets, no write")
    parser.add_argument("--targets", type=int, default=1000, help="targets (default 1,000)")
    args = parser.parse_args(argv)
    here, dask, extra = run(6 if args.quick else args.targets)
    text = report(here, dask, extra, command=command_line())
    print(text)
    if args.quick:
        return 0
    write_section(SECTION, text)
    _say(True, f"wrote the section {SECTION!r} of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
