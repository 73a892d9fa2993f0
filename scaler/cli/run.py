"""``forescale run``: the controller loop (and the API) until SIGTERM.

    forescale run [--config settings.yaml] [--dry-run] [--once]

Settings come from the file and ``FORESCALE_*`` environment variables (see
`scaler.config.settings`). On SIGTERM or Ctrl-C the loop finishes its cycle, gives the floors back
(``controller.restore_on_shutdown``), releases the leader Lease, stops the API and closes the
record store and the Prometheus session.

Outside a cluster (``kubernetes.enabled`` off) HPA targets can only be planned: ``--dry-run``
(or ``mode: ForecastOnly``) forecasts from Prometheus and prints or publishes each plan without
any cluster or AWS account:

    FORESCALE_PROMETHEUS__URL=http://localhost:9090 \\
    FORESCALE_CONTROLLER__TARGETS_FILE=targets.yaml forescale run --dry-run --once

``--once`` runs one cycle, prints one line per target on stdout (problems on stderr) and exits 1
when any target failed or was invalid, or when there was no target at all.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forescale.scaler.config.settings import ForescaleSettings
    from forescale.scaler.controller.loop import CycleReport
    from forescale.scaler.controller.view import ControllerView
    from forescale.scaler.wiring import Assembly

__all__ = ["register"]

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the controller loop and the API",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", help="settings YAML file (also FORESCALE_CONFIG)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="compute and publish plans, write nothing to Kubernetes or AWS",
    )
    p.add_argument("--once", action="store_true", help="run one cycle, print it and exit")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forescale.scaler.cli.logs import configure_logging
    from forescale.scaler.config.environment import unknown_variables
    from forescale.scaler.config.settings import load_settings
    from forescale.scaler.wiring import build

    overrides: dict[str, Any] = {}
    if args.dry_run:
        overrides["controller"] = {"dry_run": True}
    settings = load_settings(args.config, **overrides)
    configure_logging("DEBUG" if args.debug else settings.log_level, fmt=settings.log_format)
    for problem in unknown_variables():
        log.warning("%s", problem)
    _init_sentry()
    assembly = build(settings)
    try:
        if args.once:
            return print_cycle(assembly.controller.run_once(), view=assembly.view)
        return serve(assembly, settings, launcher=args.api_launcher)
    finally:
        assembly.close()


def print_cycle(report: CycleReport, *, view: ControllerView) -> int:
    """One line per target (stdout) and per problem (stderr); 1 unless every target decided.

    ``shop/checkout: predictive, floor 7, lead 5m: <why>``: the mode, the floor (None:
    released to the object's own), how far ahead it was sized, and the plan's reasons."""
    from forescale.scaler.units import format_duration

    for name, outcome in report.outcomes.items():
        plan = outcome.decision.plan
        lead = format_duration(timedelta(seconds=view.target(name).lead_time_seconds))
        print(f"{name}: {plan.mode.value}, floor {plan.floor}, lead {lead}: {plan.explain()}")  # noqa: T201
    problems = {**report.errors, **report.invalid}
    for name, error in problems.items():
        print(f"{name}: error: {error}", file=sys.stderr)  # noqa: T201
    for name, why in report.skipped.items():
        print(f"{name}: skipped: {why}", file=sys.stderr)  # noqa: T201
    if not report.outcomes and not problems:
        print("no targets: nothing was decided", file=sys.stderr)  # noqa: T201
        return 1
    return 1 if problems or report.skipped else 0


_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def serve(assembly: Assembly, settings: ForescaleSettings, *, launcher: Any) -> int:
    stop = threading.Event()
    handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _SIGNALS}
    # The Lease is kept (renewed) until the loop has restored the floors: released first, this
    # replica would be a follower by then, and a follower leaves the floors raised.
    stop_electing = threading.Event()
    threads = []
    if assembly.leader is not None:
        elector = threading.Thread(
            target=assembly.leader.run, args=(stop_electing,), daemon=True, name="forescale-leader"
        )
        elector.start()
        threads.append(elector)
    api = None
    if launcher is not None and settings.api.enabled:
        api = launcher(
            view=assembly.view,
            store=assembly.store,
            settings=settings.api,
            registry=assembly.registry,
            clock=assembly.controller.clock,
        )
        log.info("API on %s", api.url)
    try:
        assembly.controller.run_forever(stop)  # returns after shutdown() restored floors
    finally:
        stop.set()
        stop_electing.set()
        for thread in threads:
            thread.join(timeout=10)
        if assembly.leader is not None:
            assembly.leader.release()
        if api is not None:
            api.stop()
        for sig, handler in handlers.items():
            if handler is not None:  # None: installed outside Python, cannot be put back
                signal.signal(sig, handler)
    return 0


def _init_sentry() -> None:
    """Error reporting by DSN (``SENTRY_DSN``), off unless set and sentry-sdk is installed."""
    dsn = os.environ.get("SENTRY_DSN")
    if not dsn:
        return
    try:
        import sentry_sdk
    except ImportError:
        log.warning(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install forescale[sentry]"
        )
        return
    sentry_sdk.init(dsn=dsn, send_default_pii=False)
