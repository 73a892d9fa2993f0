"""Floor hysteresis: how often the floor is written, before and after, and at what price.

Every change of the floor is a ``minReplicas`` (or ASG MinSize) write. Without hysteresis the
floor followed every wobble of the forecast (issue 16 item 5: ``demo/nasa-web`` 629 times in
48 h). For each trace the predictive policy is replayed twice in this process, hysteresis off
(``FloorHysteresis.off()``, the behaviour before) and at its defaults, against the same HPA
frontier (the HPA alone at target utilisations 0.30-0.95). Reported per trace: floor writes and
reversals of direction per hour (`scaler.simulate.floors`), the equal-cost unserved ratio and
the equal-service cost ratio (`scaler.simulate.frontier`; both lower is better), unserved load
and replica-hours. Settings per trace as in ``replay_quality``: capacity = p99 of load / 20,
startup 5 minutes, target utilisation 0.8. Then the same for ``forescale demo`` (48 h).

Traces: real ones at 1 minute, 5 minutes and 1 hour from ../shared/data (when present) and the
synthetic suite of ``replay_quality``: the defaults were chosen on all of them, not on one.

    .venv/bin/python -m benchmarks.floor_hysteresis            # full run, rewrites RESULTS.md
    .venv/bin/python -m benchmarks.floor_hysteresis --trace nasa --no-write
    .venv/bin/python -m benchmarks.floor_hysteresis --quick    # smoke test, writes nothing
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmarks._common import (
    command_line,
    machine_summary,
    markdown_table,
    progress,
    write_section,
)
from benchmarks.replay_quality import SYNTHETIC
from forescale.models.datasets import load_trace, synthetic_traffic
from forescale.scaler.planning.hysteresis import FloorHysteresis
from forescale.scaler.planning.policy import PolicySettings
from forescale.scaler.simulate.floors import FloorActivity, floor_activity
from forescale.scaler.simulate.frontier import (
    SWEEP,
    FrontierPoint,
    equal_cost_ratio,
    equal_service_ratio,
)
from forescale.scaler.simulate.replay import ReplayConfig, replay
from forescale.scaler.simulate.workload import Figures
from forescale.scaler.units import format_duration

if TYPE_CHECKING:
    from forescale.scaler.controller.runtime import CycleOutcome, TargetRuntime
    from forescale.scaler.records import DecisionRecord

SECTION = "floor_hysteresis"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL = (
    "nasa_kennedy_http_1995_per_minute.csv",
    "cloudcluster_pool2_cpu_usage_2024_08_per_minute.csv",
    "nab_aws_asg_cpu_utilization_5min.csv",
    "nab_twitter_volume_fb_5min.csv",
    "saskatchewan_http_1995_hourly.csv",
    "capital_bikeshare_dc_rentals_2011_2012_hourly.csv",
)
SIDES = {"before": FloorHysteresis.off(), "after": FloorHysteresis()}
TARGET_FACTOR, TARGET_DELTA = 5.0, 0.02
"""Issue 16 item 5: writes fall >= 5x on NASA; neither ratio worse by more than 0.02."""


@dataclass(frozen=True, slots=True)
class Side:
    activity: FloorActivity
    equal_cost: float | None
    equal_service: float
    figures: Figures


@dataclass(frozen=True, slots=True)
class Row:
    trace: str
    steps: int
    step: str
    before: Side
    after: Side

    @property
    def factor(self) -> float:
        after = self.after.activity.writes_per_hour
        return self.before.activity.writes_per_hour / after if after > 0 else float("inf")


def evaluate(name: str, y: pd.Series) -> Row:
    progress(SECTION, f"{name}: HPA frontier")
    capacity = float(np.nanpercentile(y.to_numpy(dtype=float), 99) / 20)
    config = ReplayConfig(capacity=capacity, startup=timedelta(minutes=5))
    points = [
        FrontierPoint(target_utilization=u, figures=replay(
            y, replace(config, target_utilization=u), policies=("reactive",)
        ).figures["reactive"])
        for u in SWEEP
    ]  # fmt: skip
    sides = {}
    for side, hysteresis in SIDES.items():
        progress(SECTION, f"{name}: Forescale, hysteresis {side}")
        policy = PolicySettings(floor_hysteresis=hysteresis)
        result = replay(y, replace(config, policy=policy), policies=("predictive",))
        figures = result.figures["predictive"]
        activity = floor_activity(
            result.band["floor"].to_numpy(), step=result.step, min_replicas=config.min_replicas
        )
        sides[side] = Side(
            activity=activity, equal_cost=equal_cost_ratio(points, figures).ratio,
            equal_service=equal_service_ratio(points, figures).ratio, figures=figures,
        )  # fmt: skip
    row = Row(trace=name, steps=len(result.index), step=format_duration(result.step), **sides)
    progress(SECTION, f"{name}: writes/h {_arrow(row, lambda s: s.activity.writes_per_hour)}")
    return row


@dataclass(frozen=True, slots=True)
class DemoSide:
    activity: dict[str, FloorActivity]
    figures: dict[str, dict[str, Figures]]
    hours: float


def run_demo(days: float) -> dict[str, DemoSide]:
    """``forescale demo``'s scenario, hysteresis off and on: floors per decision, the figures."""
    from forescale.scaler.demo import build_demo

    out = {}
    for side, hysteresis in SIDES.items():
        progress(SECTION, f"demo ({days:g} days), hysteresis {side}")
        floors = _Floors()
        demo = build_demo(days=days, on_decision=floors, floor_hysteresis=hysteresis)
        while not demo.done:
            demo.tick()
        minimum = {str(t.spec.name): t.spec.policy.min_replicas for t in demo.targets}
        activity = {
            name: floor_activity(np.array(values), step=timedelta(minutes=1),
                                 min_replicas=minimum[name])
            for name, values in floors.by_target.items()
        }  # fmt: skip
        hours = (demo.end - demo.start) / timedelta(hours=1)
        out[side] = DemoSide(activity=activity, figures=demo.summary(), hours=hours)
    return out


class _Floors:
    """A demo decision listener: each target's floor at each decision (NaN: released)."""

    def __init__(self) -> None:
        self.by_target: dict[str, list[float]] = {}

    def __call__(
        self, runtime: TargetRuntime, _outcome: CycleOutcome, record: DecisionRecord
    ) -> None:
        value = np.nan if record.floor is None else float(record.floor)
        self.by_target.setdefault(str(runtime.spec.name), []).append(value)


def _traces(quick: bool, only: str | None) -> dict[str, pd.Series]:
    if quick:
        return {"synthetic quick (3 days, 5 min)": synthetic_traffic(days=3, seed=9)}
    traces: dict[str, pd.Series] = {}
    for name in REAL:
        if (SHARED / name).is_file():
            traces[name] = load_trace(SHARED / name)
        else:
            progress(SECTION, f"{SHARED / name} not found: skipped")
    for name, params in SYNTHETIC.items():
        traces[name] = synthetic_traffic(**params)  # type: ignore[arg-type]
    if only is not None:
        traces = {k: v for k, v in traces.items() if only in k}
    return traces


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: writes nothing")
    parser.add_argument("--trace", help="only traces whose name contains this (writes nothing)")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = [evaluate(name, y) for name, y in _traces(args.quick, args.trace).items()]
    demo = run_demo(0.2 if args.quick else 2.0) if args.trace is None else None
    report = _report(rows, demo, seconds=time.perf_counter() - started)
    print(report)  # noqa: T201 - the benchmark's output
    if not (args.quick or args.no_write or args.trace):
        write_section(SECTION, report)
    return rows


def _report(rows: list[Row], demo: dict[str, DemoSide] | None, *, seconds: float) -> str:
    header = ["trace", "steps", "floor writes/h", "reversals/h", "equal-cost unserved ratio",
              "equal-service cost ratio", "unserved %", "replica-hours"]  # fmt: skip
    table = [
        [
            r.trace, f"{r.steps:,} x {r.step}",
            f"{_arrow(r, lambda s: s.activity.writes_per_hour)} (**{r.factor:.1f}x** fewer)",
            _arrow(r, lambda s: s.activity.reversals_per_hour),
            _arrow(r, lambda s: s.equal_cost, digits=3),
            _arrow(r, lambda s: s.equal_service, digits=3),
            _arrow(r, lambda s: s.figures.unserved_load_pct, digits=3),
            _arrow(r, lambda s: s.figures.replica_hours, digits=0),
        ]
        for r in rows
    ]  # fmt: skip
    h = SIDES["after"]
    lines = [
        "## Floor hysteresis: floor writes before and after (`benchmarks/floor_hysteresis.py`)",
        "",
        f"Command: `{command_line()}` ({seconds / 60:.0f} min)  ",
        f"Machine: {machine_summary()}",
        "",
        "Each cell is *before -> after*: the predictive policy replayed with hysteresis off "
        "(every change of the proposed floor written, as before issue 16 item 5) and at the "
        f"defaults (`FloorHysteresis`: a move within max({h.min_band} replica, "
        f"{h.lower_band:.0%} of the floor) down or max({h.min_band}, {h.raise_band:.0%}) up is "
        f"written once every cycle for {format_duration(h.persistence)} asked for that side; "
        "bigger moves at once; releases never delayed). A write is a change of the effective "
        "minReplicas; a reversal a write in the other direction than the one before. Ratios "
        "against the HPA frontier (target utilisation 0.30-0.95), lower is better. Capacity = "
        "p99 of load / 20, startup 5 min (one step on coarser traces), target utilisation 0.8.",
        "",
        markdown_table(header, table),
        "",
        *_verdict(rows),
        *_demo(demo),
    ]
    return "\n".join(lines)


def _verdict(rows: list[Row]) -> list[str]:
    nasa = next((r for r in rows if r.trace.startswith("nasa")), None)
    if nasa is None:
        return []
    worse = max(_delta(nasa, lambda s: s.equal_cost), _delta(nasa, lambda s: s.equal_service))
    met = nasa.factor >= TARGET_FACTOR and worse <= TARGET_DELTA
    return [
        f"Target (issue 16 item 5) on NASA: writes/h down {nasa.factor:.1f}x (>= "
        f"{TARGET_FACTOR:g}x), the worse ratio moved by {worse:+.3f} (<= +{TARGET_DELTA}): "
        f"**{'met' if met else 'NOT met'}**.",
        "",
    ]


def _demo(demo: dict[str, DemoSide] | None) -> list[str]:
    if demo is None:
        return []
    before, after = demo["before"], demo["after"]
    rows = []
    for name in before.activity:
        b, a = before.activity[name], after.activity[name]
        fb, fa = before.figures[name], after.figures[name]
        hpa = fb["reactive"]
        rows.append([
            name, f"{b.writes:,} -> {a.writes:,}",
            f"{b.writes_per_hour:.2f} -> {a.writes_per_hour:.2f}",
            f"{b.reversals:,} -> {a.reversals:,}",
            f"{fb['predictive'].unserved_load_pct / hpa.unserved_load_pct:.1%} -> "
            f"{fa['predictive'].unserved_load_pct / hpa.unserved_load_pct:.1%}",
            f"{fb['predictive'].replica_hours / hpa.replica_hours:.3f} -> "
            f"{fa['predictive'].replica_hours / hpa.replica_hours:.3f}",
        ])  # fmt: skip
    header = ["`forescale demo` target", "floor writes", "writes/h", "reversals",
              "unserved, of the HPA alone's", "replica-hours, of the HPA alone's"]  # fmt: skip
    days = f"{demo['after'].hours / 24:g} virtual days"
    return [f"`forescale demo` (the same scenario, {days}, run twice):", "",
            markdown_table(header, rows)]  # fmt: skip


def _delta(row: Row, value: Callable[[Side], float | None]) -> float:
    before, after = value(row.before), value(row.after)
    return 0.0 if before is None or after is None else after - before


def _arrow(row: Row, value: Callable[[Side], float | None], *, digits: int = 2) -> str:
    def fmt(x: float | None) -> str:
        return "na" if x is None else f"{x:,.{digits}f}"

    return f"{fmt(value(row.before))} -> {fmt(value(row.after))}"


if __name__ == "__main__":
    main()
