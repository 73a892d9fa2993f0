"""``forescale simulate``: replay a load trace through Forescale, the HPA alone, and an oracle.

    forescale simulate TRACE.csv --capacity 20 --startup 5m [--target-utilization 0.8]
        [--quantile 0.9] [--lead-time 5m] [--model auto] [--out decisions.csv]
        [--plot replay.png] [--json] [--hpa-target fixed|tuned|off] [--objective same-as-hpa]
        [--hpa-behavior hpa.yaml]

TRACE is a ``timestamp,value`` CSV (or .csv.gz), or ``example:nasa`` for the bundled trace.
Policies: ``predictive`` (Forescale's floor under the HPA), ``reactive`` (the HPA alone) and
``oracle`` (perfect foresight, a lower bound). Steps with no value are gaps: never scored, but
the replicas each policy keeps running through them count in its replica-hours (the table says
how many hours that is). Below the table: how often Forescale's floor (the HPA's effective
``minReplicas``) changed, and changed direction, per hour replayed; each change is a write.

``--out`` writes ``timestamp,load,predictive,reactive,floor`` (requested replicas, and
Forescale's floor: empty where it set none; ``load`` empty in gaps). ``--json`` prints
``{"predictive": {...}, "reactive": {...}, "oracle": {...}, "tuning": {...}}``, the predictive
figures with ``floor_writes_per_hour`` and ``floor_reversals_per_hour``. ``--out`` and
``--plot`` are checked before the replay starts.

Self-tuning (``--hpa-target``, default ``fixed``) runs at each refit on the history replayed so
far, exactly as the controller does: it picks the sized quantile and lead window, and turns the
floor off where forecasting did not pay over the last week (do no harm); ``tuned`` also picks the
HPA's target utilisation, the cheapest setting meeting ``--objective``.

``--hpa-behavior`` gives the HPA's ``spec.behavior`` as written (or the whole HPA manifest): the
HPA alone, the HPA under Forescale's floor and the tuner's replays then scale as that HPA does
(its policies, stabilization windows, selectPolicy and tolerance), not as a default one.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forescale.scaler.cli.args import duration, fraction, hpa_behavior_file, positive, writable

if TYPE_CHECKING:
    from forescale.scaler.simulate.floors import FloorActivity
    from forescale.scaler.simulate.replay import ReplayResult
    from forescale.scaler.tuning.objective import Objective

__all__ = ["register"]


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
        type=positive,
        required=True,
        help="load one replica serves at 100%% (same unit as the trace)",
    )
    p.add_argument(
        "--startup",
        type=duration,
        required=True,
        help="time for a new replica to become ready, e.g. 5m",
    )
    p.add_argument("--target-utilization", type=fraction, default=0.8)
    p.add_argument(
        "--quantile",
        type=fraction,
        default=0.9,
        help="forecast quantile the floor is sized for (default 0.9)",
    )
    p.add_argument(
        "--lead-time",
        type=duration,
        default=None,
        help="how far ahead to size the floor (default: --startup)",
    )
    p.add_argument("--model", default="auto", help="forecasting model (default auto)")
    p.add_argument(
        "--hpa-target",
        choices=("fixed", "tuned", "off"),
        default="fixed",
        help="self-tuning at each refit: 'fixed' keeps the HPA's target and tunes the floor (and "
        "turns it off where forecasting does not pay); 'tuned' also picks the HPA's target, "
        "the cheapest setting meeting --objective; 'off' runs the given settings throughout",
    )
    p.add_argument(
        "--objective",
        type=parse_objective,
        default="same-as-hpa",
        help="with --hpa-target tuned: 'same-as-hpa' (default: serve as much as the HPA alone) "
        "or 'max-unserved:P%%'",
    )
    p.add_argument("--hpa-behavior", type=hpa_behavior_file, metavar="FILE.yaml",
                   help="the HPA's spec.behavior (or its whole manifest), so 'the HPA alone' is "
                   "yours: scale-up/down policies, stabilization windows, selectPolicy, "
                   "tolerance (default: the Kubernetes default behavior)")  # fmt: skip
    p.add_argument("--min-replicas", type=int, default=1)
    p.add_argument("--max-replicas", type=int, default=10_000)
    p.add_argument("--out", type=Path, help="write per-step decisions to this CSV")
    p.add_argument("--plot", type=Path, help="draw load, capacity and forecast band to this PNG")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forescale.scaler.cli.progress import Progress
    from forescale.scaler.cli.traces import load_trace_arg
    from forescale.scaler.simulate.replay import ReplayConfig, replay
    from forescale.scaler.tuning.config import TuningConfig

    for flag, path in (("--out", args.out), ("--plot", args.plot)):
        if path is not None:
            writable(path, flag=flag)
    trace = load_trace_arg(args.trace)
    config = ReplayConfig(
        capacity=args.capacity, startup=args.startup, target_utilization=args.target_utilization,
        quantile=args.quantile, lead_time=args.lead_time, model=args.model,
        min_replicas=args.min_replicas, max_replicas=args.max_replicas,
        **({} if args.hpa_behavior is None else {"hpa_behavior": args.hpa_behavior}),
        tuning=TuningConfig(
            mode=None if args.hpa_target == "off" else args.hpa_target, objective=args.objective
        ),
    )  # fmt: skip
    progress = Progress("simulate", unit="steps")
    result = replay(trace, config, progress=progress)
    progress.done(f"{len(result.index)} steps replayed")
    for warning in _warnings(result, startup=args.startup, tuned=args.hpa_target != "off"):
        print(f"warning: {warning}", file=sys.stderr)  # noqa: T201
    if args.out:
        _write_decisions(result, args.out)
    if args.plot:
        from forescale.scaler.simulate.plot import plot_replay

        plot_replay(result, capacity=args.capacity, path=args.plot, title=f"{args.trace}")
    activity = floor_activity(result, min_replicas=args.min_replicas)
    if args.json:
        figures: dict[str, object] = {name: f.as_dict() for name, f in result.figures.items()}
        if "predictive" in result.figures:
            figures["predictive"] = result.figures["predictive"].as_dict() | {
                "floor_writes_per_hour": activity.writes_per_hour,
                "floor_reversals_per_hour": activity.reversals_per_hour,
            }
        figures["tuning"] = tuning_summary(result)
        print(json.dumps(figures))  # noqa: T201 - the command's output
    else:
        print(format_result(result, activity=activity))  # noqa: T201
    return 0


def floor_activity(result: ReplayResult, *, min_replicas: int) -> FloorActivity:
    """Writes and reversals of the predictive policy's floor over the replay."""
    from forescale.scaler.simulate.floors import floor_activity as activity

    return activity(result.band["floor"].to_numpy(), step=result.step, min_replicas=min_replicas)


def format_result(result: ReplayResult, *, activity: FloorActivity | None = None) -> str:
    """The figures table, how often the floor moved, and how much of the replay was gaps."""
    from forescale.scaler.cli.figures import format_figures

    lines = [format_figures(result.figures)]
    if activity is not None:
        lines.append(
            f"floor: {activity.writes_per_hour:.2f} writes/h, {activity.reversals_per_hour:.2f} "
            f"reversals/h ({activity.writes:,} minReplicas writes, {activity.reversals:,} of "
            "them reversing the one before)"
        )
    tuning = tuning_summary(result)
    if tuning["tunings"]:
        lines.append(
            f"tuning: {tuning['tunings']} tunings, {tuning['reactive_only']} of them reactive-only;"
            f" last: {tuning['last_reason']}"
        )
    hour = timedelta(hours=1)
    gap_hours = gap_steps(result) * result.step / hour
    if gap_hours > 0:
        replayed = len(result.index) * result.step / hour
        lines.append(
            f"gaps: {gap_hours:,.1f} h of the {replayed:,.1f} h replayed have no load; they are "
            "not scored, but the replicas kept through them count in replica-hours"
        )
    return "\n".join(lines)


def tuning_summary(result: ReplayResult) -> dict[str, object]:
    """How often the walk-forward tuner ran, how often it turned the floor off, its last word."""
    tunings = result.tunings
    last = tunings[-1][1] if tunings else None
    return {
        "tunings": len(tunings),
        "reactive_only": sum(1 for _, t in tunings if not t.setting.predictive),
        "last_setting": None if last is None else last.setting.describe(),
        "last_reason": None if last is None else last.reason,
    }


def parse_objective(text: str) -> Objective:
    from forescale.scaler.tuning.objective import Objective, ObjectiveError

    try:
        return Objective.parse(text)
    except ObjectiveError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def gap_steps(result: ReplayResult) -> int:
    import numpy as np

    return int(np.count_nonzero(~np.isfinite(result.load)))


def _warnings(result: ReplayResult, *, startup: timedelta, tuned: bool) -> list[str]:
    out = []
    if startup < result.step:
        out.append(
            f"--startup {_format(startup)} is shorter than the trace's step "
            f"({_format(result.step)}): a replica asked for at one step is counted ready at the "
            "next, so the replay cannot show the cost of a slow start-up; resample the trace "
            "finer or give the real start-up time"
        )
    if tuned and not result.tunings:
        out.append(
            "Forescale forecast in shadow throughout: no floor is set before the first tuning "
            "shows forecasting pays, and that needs two days of its own forecasts (this trace "
            "is too short); --hpa-target off replays the floors without tuning"
        )
    elif not any(mode == "predictive" for mode in result.modes):
        out.append(
            "Forescale never forecast in this trace (too little history for a model, or its "
            "forecasts never passed the quality checks): the predictive figures are the HPA "
            "alone's; replay a longer trace (a few days at least)"
        )
    return out


def _format(delta: timedelta) -> str:
    from forescale.scaler.units import format_duration

    return format_duration(delta)


def _write_decisions(result: ReplayResult, path: Path) -> None:
    frame = result.decisions()
    if "predictive" in result.requested:
        frame["floor"] = result.band["floor"].to_numpy()
    frame.index = result.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(path, float_format="%.10g")
    print(f"wrote {len(frame)} rows to {path}", file=sys.stderr)  # noqa: T201
