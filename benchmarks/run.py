"""The benchmark suite in one command.

A full run starts every benchmark in its own process, one after another (none inherits another's
heap, caches or threads, and none is timed while another runs); each rewrites its own section of
``benchmarks/RESULTS.md`` with its figures, the command that produced them, the machine and the
date, and the ``suite`` section then lists what ran, how long it took and what was skipped.

``--quick`` runs each benchmark's smoke mode and writes nothing. The benchmarks are shared out
between ``--jobs`` worker processes that import the libraries once and run their share
in-process (``tests/benchmarks/test_smoke.py`` runs this in the test command).

    .venv/bin/python -m benchmarks.run                          # full run
    .venv/bin/python -m benchmarks.run --quick                  # smoke test
    .venv/bin/python -m benchmarks.run --only control_cycle,memory

Benchmarks whose prerequisites are missing (Prometheus for ``prometheus_load``; a module not
written yet) are skipped with the reason.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import io
import json
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks._common import command_line, machine_summary, markdown_table, write_section

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SECTION = "suite"
_RESULT = "@@benchmark-outcome "


@dataclass(frozen=True, slots=True)
class Benchmark:
    name: str
    measures: str
    needs: tuple[str, ...] = ()
    """Executables that must be on PATH."""
    quick_cost: float = 1.0
    """Rough seconds of its quick mode, to share the smoke run out evenly."""


SUITE = (
    Benchmark("forecast_latency", "fit/predict latency per model vs statsmodels Holt-Winters",
              quick_cost=7),
    Benchmark("forecast_throughput", "forecasts per second for 1,000 targets (cheap update)",
              quick_cost=3),
    Benchmark("control_cycle", "control-cycle duration for 10/100/1,000 targets", quick_cost=5),
    Benchmark("prometheus_load", "Prometheus history load and batch query",
              needs=("prometheus", "promtool"), quick_cost=6),
    Benchmark("replay_quality", "replay quality per trace (equal-cost and equal-service ratios)",
              quick_cost=16),
    Benchmark("memory", "memory per target", quick_cost=3),
    Benchmark("forecast_accuracy", "forecast accuracy (MASE, coverage) on the NASA trace",
              quick_cost=4),
    Benchmark("tuning_speed", "self-tuning one target on 7 days at 1 minute vs exact replays",
              quick_cost=20),
    Benchmark("floor_hysteresis", "floor writes/h before and after hysteresis, both replay ratios",
              quick_cost=40),
    Benchmark("cli_startup", "forescale --help start-up vs importing what it used to",
              quick_cost=12),
    Benchmark("api_load", "API reads at concurrency 50 beside a running loop (100 targets)",
              quick_cost=12),
    Benchmark("training_fleet", "retraining N targets in process vs a two-worker Dask cluster",
              quick_cost=40),
)  # fmt: skip
BY_NAME = {b.name: b for b in SUITE}


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    status: str
    """``ok``, ``failed: ...`` or ``skipped: why``."""
    seconds: float
    command: str
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _command(name: str, *, quick: bool) -> str:
    return f".venv/bin/python -m benchmarks.{name}" + (" --quick" if quick else "")


def _skip_reason(benchmark: Benchmark) -> str | None:
    if not (HERE / f"{benchmark.name}.py").exists():
        return f"skipped: benchmarks/{benchmark.name}.py not present"
    missing = [tool for tool in benchmark.needs if shutil.which(tool) is None]
    if missing:
        return f"skipped: {', '.join(missing)} not on PATH (apt-get install prometheus)"
    return None


def run_process(benchmark: Benchmark) -> Outcome:
    """A full run of one benchmark in its own process (it writes its own section)."""
    command = _command(benchmark.name, quick=False)
    started = time.perf_counter()
    _log(command)
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{benchmark.name}"], cwd=REPO,
                          stdout=subprocess.PIPE, text=True, check=False)  # fmt: skip
    status = "ok" if done.returncode == 0 else f"failed: exit {done.returncode}"
    return Outcome(benchmark.name, status, time.perf_counter() - started, command, done.stdout)


def run_in_process(benchmark: Benchmark, *, quick: bool) -> Outcome:
    """One benchmark's ``main`` in this process, its output captured."""
    command = _command(benchmark.name, quick=quick)
    started = time.perf_counter()
    buffer = io.StringIO()
    try:
        module = importlib.import_module(f"benchmarks.{benchmark.name}")
        with contextlib.redirect_stdout(buffer):
            code = module.main(["--quick"] if quick else [])
        failed = isinstance(code, int) and code != 0
        status = f"failed: exit {code}" if failed else "ok"
    except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
        status = f"failed: {type(exc).__name__}: {exc}"
        buffer.write(traceback.format_exc())
    return Outcome(benchmark.name, status, time.perf_counter() - started, command,
                   buffer.getvalue())  # fmt: skip


def run_worker(names: Sequence[str], *, quick: bool) -> list[Outcome]:
    """A worker process: its share of the benchmarks, results back to the parent as JSON."""
    outcomes = []
    for name in names:
        outcome = run_in_process(BY_NAME[name], quick=quick)
        _log(f"{name}: {outcome.status} in {outcome.seconds:.0f}s")
        print(_RESULT + json.dumps(dataclasses.asdict(outcome)), flush=True)
        outcomes.append(outcome)
    return outcomes


def run_suite(benchmarks: Sequence[Benchmark], *, quick: bool, jobs: int = 1) -> list[Outcome]:
    """Every benchmark (skips included), in suite order; see the module docstring."""
    skipped = {b.name: _skip_reason(b) for b in benchmarks}
    runnable = [b for b in benchmarks if skipped[b.name] is None]
    if quick:
        done = {o.name: o for o in _shared_out(runnable, jobs=jobs)}
    else:
        done = {b.name: run_process(b) for b in runnable}
    return [
        done.get(b.name)
        or Outcome(b.name, str(skipped[b.name]), 0.0, _command(b.name, quick=quick))
        for b in benchmarks
    ]


def _shared_out(benchmarks: Sequence[Benchmark], *, jobs: int) -> list[Outcome]:
    """Quick modes in ``jobs`` worker processes, longest first onto the least loaded worker."""
    shares: list[list[str]] = [[] for _ in range(max(1, jobs))]
    loads = [0.0] * len(shares)
    for b in sorted(benchmarks, key=lambda b: -b.quick_cost):
        i = loads.index(min(loads))
        shares[i].append(b.name)
        loads[i] += b.quick_cost

    def work(share: list[str]) -> list[Outcome]:
        if not share:
            return []
        args = [sys.executable, "-m", "benchmarks.run", "--quick", "--worker", ",".join(share)]
        done = subprocess.run(args, cwd=REPO, stdout=subprocess.PIPE, text=True, check=False)
        outcomes = [
            Outcome(**json.loads(line[len(_RESULT) :]))
            for line in done.stdout.splitlines()
            if line.startswith(_RESULT)
        ]
        finished = {o.name for o in outcomes}
        return outcomes + [
            Outcome(name, f"failed: worker exited {done.returncode}", 0.0,
                    _command(name, quick=True), done.stdout[-2000:])
            for name in share if name not in finished
        ]  # fmt: skip

    with ThreadPoolExecutor(len(shares)) as pool:
        return [o for part in pool.map(work, shares) for o in part]


def summary(outcomes: Sequence[Outcome], *, seconds: float, quick: bool) -> str:
    rows = [
        [f"`{o.name}`", BY_NAME[o.name].measures, o.status, f"{o.seconds:.0f}", f"`{o.command}`"]
        for o in outcomes
    ]
    return "\n\n".join([
        "## The suite (`benchmarks/run.py`)",
        f"Command: `{command_line()}` ({seconds / 60:.0f} min)  \nMachine: {machine_summary()}.",
        "Quick modes only (nothing written)." if quick else
        "Each benchmark ran in its own process, one after another, and rewrote its own section "
        "of this file with the exact command that produced it; run that command to refresh one "
        "section.",
        markdown_table(["benchmark", "measures", "status", "seconds", "command"], rows),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke modes only, write nothing")
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="quick mode: worker processes")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.worker.split(","), quick=args.quick)
        return 0
    chosen = list(SUITE)
    if args.only:
        names = {n.strip() for n in args.only.split(",") if n.strip()}
        if unknown := sorted(names - set(BY_NAME)):
            parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BY_NAME)}")
        chosen = [b for b in SUITE if b.name in names]
    started = time.perf_counter()
    outcomes = run_suite(chosen, quick=args.quick, jobs=args.jobs)
    for outcome in outcomes:
        print(outcome.output)
    text = summary(outcomes, seconds=time.perf_counter() - started, quick=args.quick)
    print(text)
    if not args.quick and not args.only:
        write_section(SECTION, text)
    failed = [o.name for o in outcomes if o.status.startswith("failed")]
    if failed:
        _log(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def _log(message: str) -> None:
    print(f"[run] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
