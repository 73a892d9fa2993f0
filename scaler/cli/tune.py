"""``forescale tune``: the settings self-tuning would choose for a workload, and what they save.

    forescale tune TRACE.csv --capacity 20 --startup 5m [--target-utilization 0.8]
        [--objective same-as-hpa|max-unserved:0.1%] [--hpa-target tuned|fixed] [--plot F.png]
        [--json] [--hpa-behavior hpa.yaml]
    forescale tune --prometheus URL --query 'PROMQL' --range 28d --step 1m --capacity 20 ...

The trace is replayed through Forescale exactly as ``forescale simulate`` does (walk-forward: the
model refits daily and the tuner runs at each refit on the past only), then the tuner runs once
more on the last seven days of forecasts and prints its recommendation: the sized quantile, the
lead window, floor on or off, and (``--hpa-target tuned``, the default here) the HPA's target
utilisation, with the expected replica-hours and unserved load beside the HPA alone's on that
history. ``--plot`` draws the HPA's cost/unserved frontier, every candidate and the choice.
``--hpa-behavior`` replays your HPA's ``spec.behavior`` instead of the default one (as
``forescale simulate``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from forescale.scaler.cli.args import duration, fraction, hpa_behavior_file, positive, writable
from forescale.scaler.cli.simulate import parse_objective

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "tune",
        help="the settings self-tuning would choose for a trace, and what they save",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("trace", nargs="?", help="timestamp,value CSV (.csv or .csv.gz), example:nasa")
    p.add_argument("--prometheus", metavar="URL", help="read the series from Prometheus")
    p.add_argument("--query", help="with --prometheus: PromQL returning one series")
    p.add_argument("--range", type=duration, default=duration("28d"),
                   help="with --prometheus: how far back to read (default 28d)")  # fmt: skip
    p.add_argument("--step", type=duration, default=None,
                   help="with --prometheus: the query step (default 1m)")  # fmt: skip
    p.add_argument("--capacity", type=positive, required=True,
                   help="load one replica serves at 100%% (same unit as the trace)")  # fmt: skip
    p.add_argument("--startup", type=duration, required=True,
                   help="time for a new replica to become ready, e.g. 5m")  # fmt: skip
    p.add_argument("--target-utilization", type=fraction, default=0.8,
                   help="the HPA's configured target (default 0.8)")  # fmt: skip
    p.add_argument("--quantile", type=fraction, default=0.9, help="the spec's quantile")
    p.add_argument("--model", default="auto", help="forecasting model (default auto)")
    p.add_argument("--hpa-target", choices=("tuned", "fixed"), default="tuned",
                   help="'tuned' (default) also recommends the HPA's target utilisation; "
                   "'fixed' keeps --target-utilization")  # fmt: skip
    p.add_argument("--objective", type=parse_objective, default="same-as-hpa",
                   help="'same-as-hpa' (default) or 'max-unserved:P%%'")  # fmt: skip
    p.add_argument("--hpa-behavior", type=hpa_behavior_file, metavar="FILE.yaml",
                   help="the HPA's spec.behavior (or its whole manifest), so 'the HPA alone' is "
                   "yours: scale-up/down policies, stabilization windows, selectPolicy, "
                   "tolerance (default: the Kubernetes default behavior)")  # fmt: skip
    p.add_argument("--plot", type=Path, help="draw the frontier and the choice to this PNG")
    p.add_argument("--json", action="store_true", help="print the recommendation as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from forescale.scaler.cli.backtest import load_series
    from forescale.scaler.cli.progress import Progress
    from forescale.scaler.simulate.replay import ReplayConfig, replay, scaling_policy
    from forescale.scaler.simulate.tuned import WalkForwardTuner
    from forescale.scaler.simulate.workload import startup_steps
    from forescale.scaler.tuning.config import TuningConfig
    from forescale.scaler.tuning.report import tuning_detail

    if args.plot is not None:
        writable(args.plot, flag="--plot")
    y, where = load_series(args)
    tuning = TuningConfig(mode=args.hpa_target, objective=args.objective)
    config = ReplayConfig(
        capacity=args.capacity, startup=args.startup, target_utilization=args.target_utilization,
        quantile=args.quantile, model=args.model, tuning=tuning,
        **({} if args.hpa_behavior is None else {"hpa_behavior": args.hpa_behavior}),
    )  # fmt: skip
    progress = Progress("tune", unit="steps")
    result = replay(y, config, policies=("predictive",), progress=progress)
    progress.done(f"{len(result.index)} steps replayed")
    if result.forecasts is None:
        raise ValueError(f"{where}: nothing was forecast; replay a longer trace")
    previous = result.tunings[-1][1].setting if result.tunings else None
    base = scaling_policy(config, result.step)
    tuner = WalkForwardTuner.resume(
        tuning, load=result.load, forecasts=result.forecasts, step=result.step, base=base,
        history_window=config.refit.history_window,
        startup=startup_steps(config.startup, result.step), previous=previous,
        behavior=config.hpa_behavior,
    )  # fmt: skip
    final = tuner.result_at(len(result.load))
    if final is None:
        days = tuning.min_forecasts / timedelta(days=1)
        raise ValueError(
            f"{where}: too little history to tune on: it needs {days:g} days of forecasts after "
            "the first model fit; give a longer trace"
        )
    at = result.index[-1].to_pydatetime()
    report = tuning_detail(final, at=at, objective=tuning.objective)
    if args.plot is not None:
        from forescale.scaler.tuning.plot import plot_frontier

        plot_frontier(final, path=args.plot, title=where)
        print(f"wrote {args.plot}", file=sys.stderr)  # noqa: T201
    if args.json:
        print(json.dumps(report))  # noqa: T201 - the command's output
    else:
        print(format_report(report))  # noqa: T201
    return 0


def format_report(r: dict[str, Any]) -> str:
    saving = r["expectedSavings"]
    return "\n".join([
        f"recommendation: {r['setting']}",
        f"why: {r['reason']}",
        f"expected: {r['expectedReplicaHours']:,.1f} replica-hours, "
        f"{r['expectedUnservedPercent']:.3f}% unserved",
        f"HPA alone: {r['hpaReplicaHours']:,.1f} replica-hours, "
        f"{r['hpaUnservedPercent']:.3f}% unserved",
        f"saving: {saving:+.1%} replica-hours vs the HPA alone ({r['objective']})",
    ])  # fmt: skip
