"""``forescale run``: the controller loop (and the API) until SIGTERM.

    forescale run [--config settings.yaml] [--dry-run] [--once]

Settings come from the file and ``FORESCALE_*`` environment variables (see
`scaler.config.settings`). On SIGTERM or Ctrl-C the loop finishes its cycle, gives the floors back
(``controller.restore_on_shutdown``), releases the leader Lease and stops the API.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from typing import Any

from forescale.scaler.cli.logs import configure_logging
from forescale.scaler.config.settings import ForescaleSettings, load_settings
from forescale.scaler.wiring import Assembly, build

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
    overrides: dict[str, Any] = {}
    if args.dry_run:
        overrides["controller"] = {"dry_run": True}
    settings = load_settings(args.config or os.environ.get("FORESCALE_CONFIG"), **overrides)
    configure_logging(logging.DEBUG if args.debug else settings.log_level)
    _init_sentry()
    assembly = build(settings)
    if args.once:
        report = assembly.controller.run_once()
        for name, outcome in report.outcomes.items():
            plan = outcome.decision.plan
            print(f"{name}: {plan.mode.value}, floor {plan.floor}: {plan.explain()}")  # noqa: T201
        for name, error in {**report.errors, **report.invalid}.items():
            print(f"{name}: error: {error}")  # noqa: T201
        return 1 if report.errors else 0
    return serve(assembly, settings, launcher=args.api_launcher)


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
