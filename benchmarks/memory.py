"""How much memory does one target cost the controller?

N target runtimes (`TargetRuntime`: policy, forecast ledger, HPA port, history) are built the
way the controller builds them: the history window is read through the metric source (the
default 28 days at 1 minute, from a `FrameSource`) and a fitted model is adopted (a copy of one
fit, as from the model store). Measured per target, as deltas over N targets divided by N:

- Python allocations (``tracemalloc``, current bytes) of the bare runtime, then with its
  history, then with its fitted model, per model;
- the resident set size (RSS, ``/proc/self/statm``) of complete runtimes of the default model,
  measured first, before the process has freed memory it could reuse (which would hide growth).

Baseline in the same run: the history itself as a bare float64 array (8 bytes per point), so
the ratio says what a target costs beyond the data it must keep anyway.

    .venv/bin/python -m benchmarks.memory           # full run, writes RESULTS.md
    .venv/bin/python -m benchmarks.memory --quick   # smoke test, prints only
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from benchmarks._common import (
    command_line,
    machine_summary,
    markdown_table,
    progress,
    write_section,
)
from forescale.models.datasets import synthetic_traffic
from forescale.models.registry import make_forecaster
from forescale.scaler.controller.runtime import TargetRuntime
from forescale.scaler.domain import HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.forecasting.engine import RefitPolicy
from forescale.scaler.metrics.memory import FrameSource

SECTION = "memory"
MODELS = ("auto", "ridge", "fft", "level", "seasonal_naive")


@dataclass(frozen=True, slots=True)
class Setup:
    targets: int
    step: timedelta
    history: timedelta
    models: tuple[str, ...]


DEFAULT_HISTORY = RefitPolicy().history_window

FULL = Setup(targets=200, step=timedelta(minutes=1), history=DEFAULT_HISTORY, models=MODELS)
QUICK = Setup(targets=10, step=timedelta(minutes=5), history=timedelta(days=3),
              models=("level",))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Row:
    model: str
    bare: float
    history: float
    model_bytes: float

    @property
    def total(self) -> float:
        return self.bare + self.history + self.model_bytes


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def spec(i: int, setup: Setup) -> TargetSpec:
    policy = ScalingPolicy(capacity_per_replica=20.0, max_replicas=200, interval=setup.step,
                           lead_time=timedelta(minutes=5))  # fmt: skip
    return TargetSpec(name=TargetName(f"bench/t{i}"), ref=HpaRef(namespace="bench", name=f"t{i}"),
                      query=f"load:{i % 10}", policy=policy, step=setup.step,
                      history=setup.history)  # fmt: skip


def per_target(build: Callable[[], object], n: int) -> tuple[float, float, list[object]]:
    """(tracemalloc bytes, RSS bytes) per object for ``n`` objects made by ``build``, kept alive."""
    gc.collect()
    before, rss_before = tracemalloc.get_traced_memory()[0], rss_bytes()
    kept = [build() for _ in range(n)]
    gc.collect()
    after, rss_after = tracemalloc.get_traced_memory()[0], rss_bytes()
    return (after - before) / n, (rss_after - rss_before) / n, kept


class _Builder:
    """Runtimes as the controller builds them, each for its own target name."""

    def __init__(self, setup: Setup, source: FrameSource, now: pd.Timestamp) -> None:
        self.setup, self.source, self.now = setup, source, now.to_pydatetime()
        self.count = 0

    def bare(self) -> TargetRuntime:
        self.count += 1
        return TargetRuntime(spec(self.count, self.setup))

    def with_history(self) -> TargetRuntime:
        runtime = self.bare()
        runtime.warm(self.source, now=self.now)
        return runtime

    def complete(self, blob: bytes) -> TargetRuntime:
        runtime = self.with_history()
        runtime.adopt(pickle.loads(blob), fitted_at=self.now, version=None)  # noqa: S301
        return runtime


def measure(name: str, setup: Setup, build: _Builder, blob: bytes) -> Row:
    n = setup.targets
    tracemalloc.start()
    bare, _, runtimes = per_target(build.bare, n)
    full, _, loaded = per_target(build.with_history, n)
    models, _, _ = per_target(lambda: pickle.loads(blob), n)  # noqa: S301 - our own bytes
    tracemalloc.stop()
    del runtimes, loaded
    return Row(model=name, bare=bare, history=full - bare, model_bytes=models)


def rss_probe(setup: Setup) -> float:
    """RSS bytes per complete ``auto`` target; call it first in a fresh process."""
    build, y, points = _world(setup)
    blob = pickle.dumps(make_forecaster("auto").fit(y.iloc[:points]))
    _, rss, _ = per_target(lambda: build.complete(blob), setup.targets)
    return rss


def _world(setup: Setup) -> tuple[_Builder, pd.Series, int]:
    points = int(setup.history / setup.step)
    freq = f"{int(setup.step.total_seconds())}s"
    y = synthetic_traffic(days=setup.history / timedelta(days=1) + 1, freq=freq, seed=5)
    source = FrameSource({f"load:{i}": y * (1 + i / 10) for i in range(10)})
    return _Builder(setup, source, y.index[points]), y, points


def report(rows: list[Row], setup: Setup, points: int, rss: float) -> str:
    kb = 1024
    raw = points * 8
    table = [
        [f"`{r.model}`", f"{r.bare / kb:.0f}", f"{r.history / kb:.0f}",
         f"{r.model_bytes / kb:.0f}", f"{r.total / kb:.0f}", f"{raw / kb:.0f}",
         f"{r.total / raw:.1f}x"]
        for r in rows
    ]  # fmt: skip
    header = ["model", "runtime KiB", "+ history KiB", "+ model KiB", "total KiB",
              "history as float64 KiB (baseline)", "total / baseline"]  # fmt: skip
    worst = max(r.total for r in rows)
    minutes = int(setup.step.total_seconds() // 60)
    return "\n\n".join([
        "## Memory per target (`benchmarks/memory.py`)",
        f"Command: `{command_line()}`  \nMachine: {machine_summary()}.",
        f"{setup.targets} `TargetRuntime`s per row, built like the controller builds them "
        f"(a history window of {setup.history.days} days at {minutes} minute(s) = "
        f"{points:,} points read through the metric source, then a fitted model adopted); "
        "Python allocations (tracemalloc) as deltas divided by the number of targets. "
        "'runtime' is the policy with its forecast ledger (a day of scored forecasts), the HPA "
        "port and the forecaster, before any data.",
        markdown_table(header, table),
        f"RSS of complete `auto` targets (measured first in a fresh process): "
        f"{rss / kb:.0f} KiB per target. At most {worst / kb / kb:.2f} MiB of Python objects "
        f"per target: 1,000 targets need about {worst * 1000 / kb**3:.2f} GiB.",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 targets, one model, no write")
    args = parser.parse_args(argv)
    setup = QUICK if args.quick else FULL
    progress(SECTION, f"RSS of {setup.targets} auto targets")
    rss = rss_probe(setup)  # first, while the heap has not yet freed anything to reuse
    build, y, points = _world(setup)
    rows = []
    for name in setup.models:
        progress(SECTION, f"{name}: {setup.targets} targets")
        blob = pickle.dumps(make_forecaster(name).fit(y.iloc[:points]))
        rows.append(measure(name, setup, build, blob))
    text = report(rows, setup, points, rss)
    print(text)
    if not args.quick:
        write_section(SECTION, text)
        progress(SECTION, "wrote its section of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
