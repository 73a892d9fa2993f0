"""``forescale demo``: watch Forescale scale ahead of real traffic, with no cluster and no network.

    forescale demo [--days 2] [--speed 2880] [--port 8080] [--hold]

Runs the real controller loop on the bundled NASA trace (July 1995, including the STS-70 launch
flash crowd) in accelerated virtual time, against an in-memory HPA and Auto Scaling group. Each
floor change is printed with its reason (and ``reactive``: what the HPA alone would run); the
API and its chart pages are served on localhost while it runs, with the ``FORESCALE_API__*``
settings (tokens, proxy header, port) when they are set; it ends with the same table as
``forescale simulate``: predictive (Forescale), reactive (the HPA alone) and oracle.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forescale.scaler.cli import RunningApi
    from forescale.scaler.config.settings import ApiSettings
    from forescale.scaler.controller.runtime import CycleOutcome, TargetRuntime
    from forescale.scaler.demo import Demo
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
    p.add_argument(
        "--port", type=int, help="API port on 127.0.0.1 (default api.port, 8080; 0: any free one)"
    )
    p.add_argument("--no-api", action="store_true", help="do not serve the API")
    p.add_argument("--hold", action="store_true", help="keep serving the API after the replay")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forescale.scaler.demo import build_demo

    if not 0 < args.days <= 9:
        raise ValueError("--days must be in (0, 9]: the bundled trace ends on 22 July 1995")
    if args.speed < 0:
        raise ValueError(f"--speed must be >= 0 (0: as fast as possible), got {args.speed:g}")
    if not args.debug:  # the printer tells the story; keep library logs to warnings
        logging.getLogger().setLevel(logging.WARNING)
        for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = _api_settings(args)
    printer = _Printer()
    demo = build_demo(days=args.days, on_decision=printer.decision)
    api = _start_api(demo, args, settings)
    speed = f"virtual time x{args.speed:g}" if args.speed > 0 else "as fast as possible"
    print(  # noqa: T201
        f"Forescale demo: {len(demo.targets)} targets, NASA KSC web traffic "
        f"{demo.start:%d %b %Y %H:%M} to {demo.end:%d %b %H:%M} UTC, {speed}"
    )
    if api is not None:
        access = "" if not (settings.viewer_tokens or settings.operator_tokens) else (
            "; send a viewer or operator token (FORESCALE_API__*_TOKENS)"
        )  # fmt: skip
        print(f"API and charts: {api.url}/  (targets: {api.url}/v1/targets{access})")  # noqa: T201
    pace = 60.0 / args.speed if args.speed > 0 else 0.0
    try:
        while not demo.done:
            began = time.perf_counter()
            report = demo.tick()
            for name, error in report.errors.items():
                print(f"  {name}: cycle failed: {error}")  # noqa: T201
            printer.hourly(demo)
            rest = pace - (time.perf_counter() - began)
            if rest > 0:
                time.sleep(rest)
        print(_summary(demo))  # noqa: T201
        if api is not None and args.hold:
            print(f"serving {api.url}/ until Ctrl-C", flush=True)  # noqa: T201
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        return 130
    finally:
        if api is not None:
            api.stop()
    return 0


def _api_settings(args: argparse.Namespace) -> ApiSettings:
    """The settings' ``api`` group (``FORESCALE_API__*``: tokens, proxy header, port), on
    127.0.0.1 unless set otherwise, with ``--port`` when given."""
    from forescale.scaler.config.settings import load_settings

    settings = load_settings().api
    return settings if args.port is None else settings.model_copy(update={"port": args.port})


def _start_api(demo: Demo, args: argparse.Namespace, settings: ApiSettings) -> RunningApi | None:
    launcher = args.api_launcher
    if launcher is None or args.no_api:
        return None

    def launch(api: ApiSettings) -> RunningApi:
        return launcher(  # type: ignore[no-any-return]
            view=demo.view, store=demo.store, settings=api, registry=demo.registry,
            clock=demo.clock,
        )  # fmt: skip

    try:
        return launch(settings)
    except OSError as exc:  # the port is taken: any free one will do for a demo
        api = launch(settings.model_copy(update={"port": 0}))
        print(  # noqa: T201
            f"port {settings.port} is busy ({exc.strerror or exc}); serving on port "
            f"{api.url.rsplit(':', 1)[-1]} instead (choose one with --port)",
            file=sys.stderr,
        )
        return api


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
        print(decision_line(name, record, before=before, why=_why(outcome, record)))  # noqa: T201

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


def decision_line(
    name: str, record: DecisionRecord, *, before: tuple[object, ...], why: str
) -> str:
    """``13 Jul 03:46  demo/nasa-web    floor  17 (was 16), reactive  16: <why>``: the floor
    (or ``released``), the floor before when it changed, what the HPA alone would run, the mode
    when it changed, and the reason of the step that chose the floor."""
    floor = "released" if record.floor is None else f"floor {record.floor:>3}"
    changed = before[0] is not None and before[0] != record.floor
    was = f" (was {before[0]})" if changed else ""
    mode = f" [{record.mode}]" if record.mode != before[1] else ""
    return (
        f"{record.at:%d %b %H:%M}  {name:16s} {floor}{was}, reactive "
        f"{record.reactive:>3}{mode}: {why}"
    )


_DECIDING = frozenset(
    ("forecast", "hold", "stabilize", "degraded", "scheduled", "bounds", "hysteresis", "mode")
)
"""Plan steps that choose the floor (their reasons say why a floor is what it is)."""


def _why(outcome: CycleOutcome, record: DecisionRecord) -> str:
    """The reason of the step that set the floor (the last one that chose that number)."""
    plan = outcome.decision.plan
    for step in reversed(plan.steps):
        if step.name in _DECIDING and (step.replicas == record.floor or record.floor is None):
            return step.reason
    return plan.mode_reason


def _summary(demo: Demo) -> str:
    from forescale.scaler.cli.figures import format_figures

    lines = ["", "Summary (the table of `forescale simulate`):"]
    for target, figures in demo.summary().items():
        lines.append(f"  {target}")
        lines.append(format_figures(figures, indent="    "))
        fs, hpa = figures["predictive"], figures["reactive"]
        if hpa.unserved_load_pct > 0:
            lines.append(
                f"    Forescale left {fs.unserved_load_pct / hpa.unserved_load_pct:.0%}"
                f" of the HPA's unserved load for "
                f"{fs.replica_hours / hpa.replica_hours:.0%} of its replica-hours."
            )
    lines.append(f"  (replayed {(demo.end - demo.start) / timedelta(hours=1):.0f} h)")
    return "\n".join(lines)
