"""``forescale demo``: watch Forescale scale ahead of real traffic, with no cluster and no network.

    forescale demo [--days 2] [--speed 2880] [--port 8080] [--hold]

Runs the real controller loop on the bundled NASA trace (July 1995, including the STS-70 launch
flash crowd) in accelerated virtual time, against an in-memory HPA and Auto Scaling group. Each
floor change is printed with its reason; the API and its chart page are served on localhost while
it runs; it ends with the same figures as ``forescale simulate``: Forescale vs the HPA alone.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import timedelta
from typing import Any

from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.runtime import CycleOutcome, TargetRuntime
from forescale.scaler.demo import Demo, build_demo
from forescale.scaler.records import DecisionRecord

__all__ = ["register"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the controller on the bundled NASA trace",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--days", type=float, default=2.0, help="virtual days to replay (max 9)")
    p.add_argument(
        "--speed",
        type=float,
        default=2880.0,
        help="virtual seconds per real second (0: as fast as possible)",
    )
    p.add_argument("--port", type=int, default=8080, help="API port on 127.0.0.1 (0: any)")
    p.add_argument("--no-api", action="store_true", help="do not serve the API")
    p.add_argument("--hold", action="store_true", help="keep serving the API after the replay")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.days <= 9:
        raise ValueError("--days must be in (0, 9]: the bundled trace ends on 22 July 1995")
    if not args.debug:  # the printer tells the story; keep library logs to warnings
        logging.getLogger().setLevel(logging.WARNING)
        for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    printer = _Printer()
    demo = build_demo(days=args.days, on_decision=printer.decision)
    api = _start_api(demo, args)
    out = sys.stdout
    print(
        f"Forescale demo: {len(demo.targets)} targets, NASA KSC web traffic "  # noqa: T201
        f"{demo.start:%d %b %Y %H:%M} to {demo.end:%d %b %H:%M} UTC, virtual time x"
        f"{args.speed:g}",
        file=out,
    )
    if api is not None:
        print(f"API and charts: {api.url}/  (targets: {api.url}/v1/targets)", file=out)  # noqa: T201
    pace = 60.0 / args.speed if args.speed > 0 else 0.0
    try:
        while not demo.done:
            began = time.perf_counter()
            report = demo.tick()
            for name, error in report.errors.items():
                print(f"  {name}: cycle failed: {error}", file=out)  # noqa: T201
            printer.hourly(demo)
            rest = pace - (time.perf_counter() - began)
            if rest > 0:
                time.sleep(rest)
        print(_summary(demo), file=out)  # noqa: T201
        if api is not None and args.hold:
            print(f"serving {api.url}/ until Ctrl-C", file=out)  # noqa: T201
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        return 130
    finally:
        if api is not None:
            api.stop()
    return 0


def _start_api(demo: Demo, args: argparse.Namespace) -> Any:
    launcher = args.api_launcher
    if launcher is None or args.no_api:
        return None
    settings = ApiSettings(host="127.0.0.1", port=args.port)
    try:
        return launcher(
            view=demo.view,
            store=demo.store,
            settings=settings,
            registry=demo.registry,
            clock=demo.clock,
        )
    except OSError:  # the port is taken: any free one will do for a demo
        return launcher(
            view=demo.view,
            store=demo.store,
            settings=settings.model_copy(update={"port": 0}),
            registry=demo.registry,
            clock=demo.clock,
        )


class _Printer:
    """One line per floor or mode change; a status line per virtual hour."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[object, ...]] = {}
        self.hour = -1

    def decision(
        self, runtime: TargetRuntime, outcome: CycleOutcome, record: DecisionRecord
    ) -> None:
        key = (record.floor, record.mode)
        name = str(runtime.spec.name)
        if self.last.get(name) == key:
            return
        before = self.last.get(name, (None, None))
        self.last[name] = key
        floor = "released" if record.floor is None else f"floor {record.floor:>3}"
        change = "" if before[0] is None else f" (was {before[0]})"
        mode = f" [{record.mode}]" if record.mode != before[1] else ""
        line = (
            f"{record.at:%d %b %H:%M}  {name:16s} {floor}{change}, HPA alone "
            f"{record.reactive:>3}{mode}: {_why(outcome, record)}"
        )
        print(line)  # noqa: T201 - the demo's output

    def hourly(self, demo: Demo) -> None:
        now = demo.clock.now()
        if now.hour == self.hour or now.minute != 0:
            return
        self.hour = now.hour
        parts = []
        for status in demo.view.targets():
            parts.append(
                f"{status.name.split('/')[-1]} {status.current_replicas} replicas ({status.mode})"
            )
        print(f"-- {now:%d %b %H:%M} " + "; ".join(parts))  # noqa: T201


def _why(outcome: CycleOutcome, record: DecisionRecord) -> str:
    """The reason of the step that set the floor (the last one that chose that number)."""
    plan = outcome.decision.plan
    deciding = ("forecast", "hold", "stabilize", "degraded", "scheduled", "bounds", "mode")
    for step in reversed(plan.steps):
        if step.name in deciding and (step.replicas == record.floor or record.floor is None):
            return step.reason
    return plan.mode_reason


def _summary(demo: Demo) -> str:
    lines = ["", "Summary (same figures as `forescale simulate`):"]
    for target, figures in demo.summary().items():
        lines.append(f"  {target}")
        lines.append(
            f"    {'policy':10s} {'unserved load %':>16s} {'under-prov. %':>14s} "
            f"{'replica-hours':>14s} {'scale events':>13s}"
        )
        for name, f in figures.items():
            lines.append(
                f"    {name:10s} {f.unserved_load_pct:16.3f} "
                f"{f.under_provisioned_pct:14.2f} {f.replica_hours:14.1f} "
                f"{f.scale_events:13d}"
            )
        fs, hpa = figures["forescale"], figures["hpa alone"]
        if hpa.unserved_load_pct > 0:
            lines.append(
                f"    Forescale left {fs.unserved_load_pct / hpa.unserved_load_pct:.0%}"
                f" of the HPA's unserved load for "
                f"{fs.replica_hours / hpa.replica_hours:.0%} of its replica-hours."
            )
    lines.append(f"  (replayed {(demo.end - demo.start) / timedelta(hours=1):.0f} h)")
    return "\n".join(lines)
