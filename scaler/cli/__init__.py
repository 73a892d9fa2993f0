"""The ``forescale`` command: one console script with subcommands.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds a parser
whose ``handler`` default is ``fn(args) -> int``. Shells stay thin: parse, call `scaler`/`models`,
print. A user mistake (bad file, bad flag, unreachable server) prints one clear line and exits
non-zero, never a traceback; ``--debug`` shows the traceback for bug reports.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry

from forescale.models.errors import ForecastError
from forescale.scaler.cli.logs import configure_logging
from forescale.scaler.clock import Clock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import ControllerView, RecordStore
from forescale.scaler.errors import ScalerError
from forescale.scaler.redact import redact

__all__ = ["ApiLauncher", "RunningApi", "main"]

SUBCOMMANDS = ("demo", "run", "backtest", "simulate", "train", "check_config")


class RunningApi(Protocol):
    @property
    def url(self) -> str: ...

    def stop(self) -> None: ...


class ApiLauncher(Protocol):
    """Starts the HTTP API for a controller. Provided by the `service` layer (the process's
    composition root, `service.main`), so that `scaler` never imports `service`."""

    def __call__(
        self,
        *,
        view: ControllerView,
        store: RecordStore,
        settings: ApiSettings,
        registry: CollectorRegistry,
        clock: Clock,
    ) -> RunningApi: ...


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forescale",
        description="Predictive autoscaling: forecast load, raise capacity before it arrives.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"forescale.scaler.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"forescale.scaler.cli.{name}":
                continue  # subcommand not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *, api: ApiLauncher | None = None) -> int:
    """Run ``forescale``; ``api`` serves the HTTP API for ``run`` and ``demo`` (None: no API)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.api_launcher = api
    configure_logging(logging.DEBUG if args.debug else logging.INFO)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except (ForecastError, ScalerError, ValueError, FileNotFoundError, PermissionError) as exc:
        if args.debug:
            raise
        print(f"forescale {args.command}: error: {redact(str(exc))}", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
