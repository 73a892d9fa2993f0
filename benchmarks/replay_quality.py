"""Replay quality: does Forescale serve more load than the HPA *for the same money*?

For each trace: the HPA port is replayed at target utilisations 0.50-0.90 to draw its
cost/unserved frontier; the predictive policy runs at its default settings; the **equal-cost
unserved ratio** is its unserved load divided by the frontier's unserved load interpolated at the
same replica-hours (below 1 is better). Also the replica-hours relative to the oracle (perfect
foresight). Settings per trace, as in issue 3: capacity = 99th percentile of load / 20, startup
5 minutes (one step on coarser traces), target utilisation 0.8.

Traces: every ``timestamp,value`` CSV in ../shared/data (when present), plus a seeded synthetic
suite (flash crowds, level shifts, outages, weekly cycles, low and high volume) as a check on
traffic the policy was not tuned on.

    .venv/bin/python -m benchmarks.replay_quality            # full run, rewrites RESULTS.md
    .venv/bin/python -m benchmarks.replay_quality --quick    # smoke test, writes nothing
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import (
    command_line,
    machine_summary,
    markdown_table,
    progress,
    write_section,
)
from forescale.models.datasets import load_trace, synthetic_traffic
from forescale.scaler.simulate.frontier import FrontierPoint, equal_cost_ratio
from forescale.scaler.simulate.replay import ReplayConfig, replay
from forescale.scaler.units import format_duration

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
FIGURES = Path(__file__).resolve().parent / "figures"
UTILS = tuple(round(u, 2) for u in np.arange(0.5, 0.901, 0.05))
WIDE = tuple(round(u, 2) for u in np.arange(0.3, 0.96, 0.05))

SYNTHETIC = {
    "synthetic: weekly web, 1 min": {"days": 21, "freq": "1min", "seed": 1},
    "synthetic: 10 flash crowds, flat days, 1 min": {
        "days": 14, "freq": "1min", "seed": 5, "spikes": 10, "daily_amplitude": 0.3},
    "synthetic: level shifts + outages, 1 min": {
        "days": 21, "freq": "1min", "seed": 3, "level_shifts": 3, "outages": 3},
    "synthetic: 8 flash crowds, 5 min": {"days": 35, "freq": "5min", "seed": 2, "spikes": 8},
    "synthetic: low volume (20/step), 5 min": {"days": 35, "freq": "5min", "seed": 4, "base": 20.0},
    "synthetic: high volume, 2 level shifts, 5 min": {
        "days": 35, "freq": "5min", "seed": 6, "base": 2000.0, "level_shifts": 2},
}  # fmt: skip


@dataclass(frozen=True)
class Speed:
    trace: str
    steps: int
    seconds: float
    serial_seconds: float


def measure_speed(name: str, y: pd.Series) -> Speed:
    """One full replay (Forescale, the HPA alone, the oracle) on two cores and on one, timed."""
    values = y.to_numpy(dtype=float)
    config = ReplayConfig(
        capacity=float(np.nanpercentile(values, 99) / 20), startup=timedelta(minutes=5)
    )
    started = time.perf_counter()
    result = replay(y, config)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    replay(y, replace(config, parallel=False))
    serial = time.perf_counter() - started
    return Speed(trace=name, steps=len(result.index), seconds=seconds, serial_seconds=serial)


@dataclass(frozen=True)
class Row:
    trace: str
    steps: int
    step: str
    ratio: float | None
    inside: bool
    reference: float
    predictive_unserved: float
    predictive_cost: float
    reactive08_unserved: float
    reactive08_cost: float
    oracle_cost: float
    seconds: float


def evaluate(name: str, y: pd.Series, *, figure: bool) -> Row:
    started = time.perf_counter()
    values = y.to_numpy(dtype=float)
    capacity = float(np.nanpercentile(values, 99) / 20)
    config = ReplayConfig(capacity=capacity, startup=timedelta(minutes=5))
    result = replay(y, config)
    predictive = result.figures["predictive"]
    points = _frontier(y, config, UTILS)
    outcome = equal_cost_ratio(points, predictive)
    if not outcome.inside:  # widen the sweep rather than extrapolate
        points = _frontier(y, config, WIDE)
        outcome = equal_cost_ratio(points, predictive)
    reactive = next(p for p in points if abs(p.target_utilization - 0.8) < 1e-9).figures
    if figure:
        _plot_frontier(name, points, result.figures)
        from forescale.scaler.simulate.plot import plot_replay

        plot_replay(
            result, capacity=capacity, path=FIGURES / f"replay-{_slug(name)}.png", title=name
        )
    progress("replay_quality", f"{name}: ratio {outcome.ratio}")
    return Row(
        trace=name, steps=len(result.index), step=format_duration(result.step),
        ratio=outcome.ratio, inside=outcome.inside, reference=outcome.reference_unserved_pct,
        predictive_unserved=predictive.unserved_load_pct,
        predictive_cost=predictive.replica_hours,
        reactive08_unserved=reactive.unserved_load_pct, reactive08_cost=reactive.replica_hours,
        oracle_cost=result.figures["oracle"].replica_hours,
        seconds=time.perf_counter() - started,
    )  # fmt: skip


def _frontier(y: pd.Series, config: ReplayConfig, utils: tuple[float, ...]) -> list[FrontierPoint]:
    return [
        FrontierPoint(target_utilization=u, figures=replay(
            y, replace(config, target_utilization=u), policies=("reactive",)
        ).figures["reactive"])
        for u in utils
    ]  # fmt: skip


def _plot_frontier(name: str, points: list[FrontierPoint], figures: dict) -> None:  # type: ignore[type-arg]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    xs = [p.figures.replica_hours for p in points]
    ys = [p.figures.unserved_load_pct for p in points]
    lo, hi = points[0].target_utilization, points[-1].target_utilization
    ax.plot(xs, ys, "o-", color="#d62728", label=f"HPA alone, target utilisation {lo}-{hi}")
    for p in points[:: max(1, len(points) // 5)]:
        ax.annotate(
            f"{p.target_utilization:.2f}",
            (p.figures.replica_hours, p.figures.unserved_load_pct),
            fontsize=7,
        )
    pred = figures["predictive"]
    ax.plot(
        [pred.replica_hours],
        [pred.unserved_load_pct],
        "*",
        ms=14,
        color="#1f77b4",
        label="Forescale (defaults)",
    )
    ax.axvline(figures["oracle"].replica_hours, color="#7f7f7f", ls="--", label="oracle cost")
    ax.set_xlabel("replica-hours")
    ax.set_ylabel("unserved load %")
    ax.set_title(name, fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.savefig(FIGURES / f"frontier-{_slug(name)}.png", dpi=100)
    plt.close(fig)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:60]


def _traces(quick: bool) -> dict[str, pd.Series]:
    if quick:
        return {"synthetic quick (3 days, 5 min)": synthetic_traffic(days=3, seed=9)}
    traces: dict[str, pd.Series] = {}
    if SHARED.is_dir():
        for path in sorted(SHARED.glob("*.csv")):
            traces[path.name] = load_trace(path)
    else:
        progress("replay_quality", f"{SHARED} not found: synthetic traces only")
    for name, params in SYNTHETIC.items():
        traces[name] = synthetic_traffic(**params)  # type: ignore[arg-type]
    return traces


def _job(args: tuple[str, pd.Series, bool]) -> Row:
    return evaluate(args[0], args[1], figure=args[2])


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: no RESULTS.md")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    FIGURES.mkdir(exist_ok=True)
    traces = _traces(args.quick)
    jobs = [(name, y, not args.quick) for name, y in traces.items()]
    started = time.perf_counter()
    if args.workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            rows = list(pool.map(_job, jobs))
    else:
        rows = [_job(job) for job in jobs]
    progress("replay_quality", f"done in {time.perf_counter() - started:.0f}s")
    speed = None
    if not args.quick:
        longest = max(traces, key=lambda name: len(traces[name]))
        progress("replay_quality", f"timing one replay of {longest}")
        speed = measure_speed(longest, traces[longest])
        write_section("replay_quality", _report(rows, speed))
    return rows


def _report(rows: list[Row], speed: Speed | None) -> str:
    header = [
        "trace",
        "steps",
        "equal-cost unserved ratio",
        "Forescale unserved %",
        "HPA frontier at same cost %",
        "HPA @0.8 unserved %",
        "cost vs HPA @0.8",
        "cost vs oracle",
        "replay s",
    ]
    table = []
    for r in rows:
        ratio = "n/a (both 0)" if r.ratio is None else f"**{r.ratio:.2f}**"
        if not r.inside:
            ratio += " (sweep widened)"
        table.append(
            [
                r.trace,
                f"{r.steps:,} x {r.step}",
                ratio,
                f"{r.predictive_unserved:.3f}",
                f"{r.reference:.3f}",
                f"{r.reactive08_unserved:.3f}",
                f"{r.predictive_cost / r.reactive08_cost:.2f}x",
                f"{r.predictive_cost / r.oracle_cost:.2f}x",
                f"{r.seconds:.0f}",
            ]
        )
    figures = [f"![{r.trace}](figures/frontier-{_slug(r.trace)}.png)" for r in rows[:3]]
    return "\n".join([
        "## Replay quality: equal-cost unserved ratio (`benchmarks/replay_quality.py`)",
        "",
        f"Command: `{command_line()}`  ",
        f"Machine: {machine_summary()}",
        "",
        "Per trace: capacity = p99 of load / 20, startup 5 min (one step on coarser traces), "
        "target utilisation 0.8, Forescale at its defaults (quantile 0.9, model `auto`, lead "
        "time = startup). The ratio divides Forescale's unserved load by the HPA's at the same "
        "replica-hours (HPA swept over target utilisation 0.50-0.90, linear interpolation); "
        "below 1 means more load served for the same money. 'Replay s' includes the sweep.",
        "",
        markdown_table(header, table),
        "",
        "Frontiers (red: HPA alone at each target utilisation; star: Forescale; dashed: oracle):",
        "",
        " ".join(figures),
        "",
        "Replays (load, ready capacity per policy, forecast band): "
        + ", ".join(f"[{r.trace}](figures/replay-{_slug(r.trace)}.png)" for r in rows),
        "",
        _speed(speed),
    ])  # fmt: skip


def _speed(speed: Speed | None) -> str:
    if speed is None:
        return ""
    return (
        f"**Replay speed** ({speed.trace}, {speed.steps:,} steps, model refits daily as the "
        f"controller does, Forescale + HPA alone + oracle): **{speed.seconds:.0f} s** on two "
        f"cores (the HPA-alone replay and each next model fit in a worker process); "
        f"{speed.serial_seconds:.0f} s on one (ratio {speed.serial_seconds / speed.seconds:.2f}x)."
        " The load average above says how busy the shared machine was."
    )


if __name__ == "__main__":
    main()
