"""How long does one control cycle take for 10, 100 and 1,000 targets?

The real `Controller` with its metric source and actuator in memory (`FrameSource`,
`MemoryActuator`, `VirtualClock`), so the figure is Forescale's own work per cycle: fetch the new
sample, forecast with the cheap update, score past forecasts, plan, actuate, report. Every
target runs the default model (``auto``) at a 1-minute step over the default history window (28
days); its fitted model is a copy of one fit adopted at startup (as from the model store), and
no refit falls in the timed cycles (refits are budgeted per cycle and timed in `forecast_latency`).

Baseline, in the same run: the same targets without a model (their history window is too short
for one, so every cycle is the reactive path: fetch, HPA port, plan, actuate, report). The ratio
is what forecasting adds to a cycle. Reported: the first cycle (warm start: loading the history
window of every target) and p50/p99 of the following cycles, after warm-up.

    .venv/bin/python -m benchmarks.control_cycle           # full run, writes RESULTS.md
    .venv/bin/python -m benchmarks.control_cycle --quick   # smoke test, prints only
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from benchmarks._common import (
    Timing,
    command_line,
    machine_summary,
    markdown_table,
    progress,
    write_section,
)
from forescale.models.datasets import synthetic_traffic
from forescale.models.registry import make_forecaster
from forescale.models.threads import one_thread
from forescale.scaler.actuators.memory import MemoryActuator
from forescale.scaler.clock import VirtualClock
from forescale.scaler.controller.loop import Controller, ControlSettings
from forescale.scaler.controller.runtime import RuntimeSettings
from forescale.scaler.controller.targets import StaticTargets
from forescale.scaler.domain import HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.forecasting.engine import RefitPolicy
from forescale.scaler.metrics.memory import FrameSource

SECTION = "control_cycle"


@dataclass(frozen=True, slots=True)
class Setup:
    sizes: tuple[int, ...]
    step: timedelta
    history: timedelta
    warm_up: int
    cycles: int


DEFAULT_HISTORY = RefitPolicy().history_window

FULL = Setup((10, 100, 1000), timedelta(minutes=1), DEFAULT_HISTORY, warm_up=3, cycles=30)
QUICK = Setup((10, 30), timedelta(minutes=5), timedelta(days=3), warm_up=1, cycles=3)


@dataclass(frozen=True, slots=True)
class Result:
    targets: int
    first: float
    cycles: Timing
    reactive_first: float
    reactive: Timing
    cpu: Timing
    """Process CPU seconds of the same predictive cycles (all threads): on a shared machine
    wall time also counts the others' work."""


def spec(i: int, *, setup: Setup, predictive: bool) -> TargetSpec:
    policy = ScalingPolicy(capacity_per_replica=20.0, max_replicas=200, interval=setup.step,
                           lead_time=timedelta(minutes=5))  # fmt: skip
    return TargetSpec(
        name=TargetName(f"bench/t{i:04d}"), ref=HpaRef(namespace="bench", name=f"t{i:04d}"),
        query=f"load:{i}", policy=policy, model="auto", step=setup.step,
        history=setup.history if predictive else 10 * setup.step,
    )  # fmt: skip


def world(n: int, *, setup: Setup, predictive: bool, base: pd.Series) -> Controller:
    start = base.index[0] + pd.Timedelta(setup.history)
    clock = VirtualClock(start.to_pydatetime())
    specs = [spec(i, setup=setup, predictive=predictive) for i in range(n)]
    series = {s.query: base * (1 + (i % 17) / 8) for i, s in enumerate(specs)}
    actuator = MemoryActuator()
    for s in specs:
        actuator.add(s.ref, min_replicas=1, max_replicas=200)
    runtime = RuntimeSettings(refit=RefitPolicy(refit_every=timedelta(days=30)))
    controller = Controller(
        targets=StaticTargets(specs), source=FrameSource(series, now=clock.now),
        actuators={"hpa": actuator}, clock=clock,
        settings=ControlSettings(interval_seconds=setup.step.total_seconds(),
                                 max_refits_per_cycle=0, runtime=runtime),
    )  # fmt: skip
    return controller


def run(
    controller: Controller, *, setup: Setup, model: bytes | None
) -> tuple[float, Timing, Timing]:
    """The first cycle's seconds (no fits: ``max_refits_per_cycle=0``), then, with ``model``
    adopted by every target, the timed cycles after warm-up."""
    clock = controller.clock
    assert isinstance(clock, VirtualClock)
    first = controller.run_once().seconds
    if model is not None:  # each target its own copy of the fitted model, as from the store
        for runtime in controller.runtimes.values():
            runtime.adopt(pickle.loads(model), fitted_at=clock.now(), version=None)  # noqa: S301
    samples, cpu = [], []
    for i in range(setup.warm_up + setup.cycles):
        clock.advance(setup.step)
        began, began_cpu = time.perf_counter(), time.process_time()
        report = controller.run_once()
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - began_cpu
        if report.errors:
            raise RuntimeError(f"cycle errors: {list(report.errors.items())[:3]}")
        if i >= setup.warm_up:
            samples.append(seconds)
            cpu.append(cpu_seconds)
    forecasting = sum(r.last_forecast is not None for r in controller.runtimes.values())
    if (model is not None) != (forecasting == len(controller.runtimes)):
        raise RuntimeError(f"{forecasting} of {len(controller.runtimes)} targets forecast")
    return first, Timing(tuple(samples)), Timing(tuple(cpu))


def measure(n: int, setup: Setup, base: pd.Series, model: bytes) -> Result:
    progress(SECTION, f"{n} targets: predictive")
    predictive = world(n, setup=setup, predictive=True, base=base)
    first, cycles, cpu = run(predictive, setup=setup, model=model)
    progress(SECTION, f"{n} targets: reactive baseline")
    reactive = world(n, setup=setup, predictive=False, base=base)
    reactive_first, reactive_cycles, _ = run(reactive, setup=setup, model=None)
    return Result(targets=n, first=first, cycles=cycles, reactive_first=reactive_first,
                  reactive=reactive_cycles, cpu=cpu)  # fmt: skip


def report(results: list[Result], setup: Setup) -> str:
    rows = [
        [
            f"{r.targets:,}", f"{r.first:.2f}", r.cycles.ms(), r.cycles.ms("p99"),
            r.reactive.ms(), r.reactive.ms("p99"), f"{r.cycles.median / r.reactive.median:.1f}x",
            f"{1e3 * r.cycles.median / r.targets:.2f}", r.cpu.ms(),
            f"{1e3 * r.cpu.median / r.targets:.2f}",
        ]
        for r in results
    ]  # fmt: skip
    header = ["targets", "first cycle s (warm start)", "cycle p50 ms", "cycle p99 ms",
              "reactive-only p50 ms (baseline)", "reactive-only p99 ms", "ratio",
              "ms per target (p50)", "cycle CPU p50 ms", "CPU ms per target (p50)"]  # fmt: skip
    step = int(setup.step.total_seconds() // 60)
    return "\n\n".join([
        "## Control cycle (`benchmarks/control_cycle.py`)",
        f"Command: `{command_line()}`  \nMachine: {machine_summary()}. One thread.",
        f"`Controller.run_once` over N targets with the metric source, the actuator and the "
        f"clock in memory; model `auto` at a {step}-minute step over "
        f"{setup.history.days} days of history, adopted at startup; p50/p99 over "
        f"{setup.cycles} cycles after {setup.warm_up} warm-up cycles (virtual time advancing "
        "one step per cycle). Baseline: the same targets on the reactive path only.",
        markdown_table(header, rows),
        f"The first cycle reads each target's history window ({setup.history.days} days) and "
        f"feeds its newest samples to the target's policy (forecast ledger): "
        f"{max(r.first / r.targets for r in results):.2f} s per target, against "
        f"{max(r.cycles.median / r.targets for r in results) * 1e3:.1f} ms per target in a "
        "steady cycle.",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 and 30 targets, no write")
    args = parser.parse_args(argv)
    setup = QUICK if args.quick else FULL
    steps = int(setup.history / setup.step) + setup.warm_up + setup.cycles + 5
    freq = f"{int(setup.step.total_seconds())}s"
    base = synthetic_traffic(days=steps * setup.step / timedelta(days=1), freq=freq, seed=3)
    with one_thread():
        fitted = make_forecaster("auto").fit(base.iloc[: int(setup.history / setup.step)])
        model = pickle.dumps(fitted)
        results = [measure(n, setup, base, model) for n in setup.sizes]
    text = report(results, setup)
    print(text)
    if not args.quick:
        write_section(SECTION, text)
        progress(SECTION, "wrote its section of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
