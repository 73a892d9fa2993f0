"""``forescale simulate``: replay a load trace through Forescale, the HPA alone, and an oracle.

    forescale simulate TRACE.csv --capacity 20 --startup 5m [--target-utilization 0.8]
        [--quantile 0.9] [--lead-time 5m] [--model auto] [--out decisions.csv]
        [--plot replay.png] [--json]

TRACE is a ``timestamp,value`` CSV (or .csv.gz), or ``example:nasa`` for the bundled trace.
``--out`` writes ``timestamp,load,predictive,reactive`` (requested replicas; ``load`` empty in
gaps); ``--json`` prints ``{"predictive": {...}, "reactive": {...}, "oracle": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from forescale.models.datasets import load_example, load_trace
from forescale.scaler.cli.progress import Progress
from forescale.scaler.simulate.replay import ReplayConfig, ReplayResult, replay
from forescale.scaler.units import parse_duration

__all__ = ["format_figures", "load_trace_arg", "register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="replay a trace: Forescale vs the HPA alone vs an oracle",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("trace", help="timestamp,value CSV (.csv or .csv.gz), or example:nasa")
    p.add_argument(
        "--capacity",
        type=_positive,
        required=True,
        help="load one replica serves at 100%% (same unit as the trace)",
    )
    p.add_argument(
        "--startup",
        type=parse_duration,
        required=True,
        help="time for a new replica to become ready, e.g. 5m",
    )
    p.add_argument("--target-utilization", type=_fraction, default=0.8)
    p.add_argument(
        "--quantile",
        type=_fraction,
        default=0.9,
        help="forecast quantile the floor is sized for (default 0.9)",
    )
    p.add_argument(
        "--lead-time",
        type=parse_duration,
        default=None,
        help="how far ahead to size the floor (default: --startup)",
    )
    p.add_argument("--model", default="auto", help="forecasting model (default auto)")
    p.add_argument("--min-replicas", type=int, default=1)
    p.add_argument("--max-replicas", type=int, default=10_000)
    p.add_argument("--out", type=Path, help="write per-step decisions to this CSV")
    p.add_argument("--plot", type=Path, help="draw load, capacity and forecast band to this PNG")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    trace = load_trace_arg(args.trace)
    config = ReplayConfig(
        capacity=args.capacity, startup=args.startup, target_utilization=args.target_utilization,
        quantile=args.quantile, lead_time=args.lead_time, model=args.model,
        min_replicas=args.min_replicas, max_replicas=args.max_replicas,
    )  # fmt: skip
    progress = Progress("simulate", unit="steps")
    result = replay(trace, config, progress=progress)
    progress.done(f"{len(result.index)} steps replayed")
    if args.out:
        _write_decisions(result, args.out)
    if args.plot:
        from forescale.scaler.simulate.plot import plot_replay

        plot_replay(result, capacity=args.capacity, path=args.plot, title=f"{args.trace}")
    figures = {name: f.as_dict() for name, f in result.figures.items()}
    if args.json:
        print(json.dumps(figures))  # noqa: T201 - the command's output
    else:
        print(format_figures(result))  # noqa: T201
    return 0


def load_trace_arg(text: str) -> pd.Series:
    if text.startswith("example:"):
        return load_example(text.split(":", 1)[1])
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"trace file {path} not found")
    return load_trace(path)


def format_figures(result: ReplayResult) -> str:
    rows = [("policy", "under-provisioned %", "unserved load %", "replica-hours", "scale events")]
    for name, f in result.figures.items():
        rows.append(
            (
                name,
                f"{f.under_provisioned_pct:.2f}",
                f"{f.unserved_load_pct:.3f}",
                f"{f.replica_hours:,.1f}",
                f"{f.scale_events:,}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]  # fmt: skip
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _write_decisions(result: ReplayResult, path: Path) -> None:
    frame = result.decisions()
    frame.index = result.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(path, float_format="%.10g")
    print(f"wrote {len(frame)} rows to {path}", file=sys.stderr)  # noqa: T201


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _fraction(text: str) -> float:
    value = _positive(text)
    if not value < 1 and value != 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value
