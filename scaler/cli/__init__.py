"""The ``forescale`` command: one console script with subcommands.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds a parser
whose ``handler`` default is ``fn(args) -> int``. Shells stay thin: parse, call `scaler`/`models`,
print. A user mistake (bad file, bad flag, unreachable server) prints one clear line and exits
non-zero, never a traceback; ``--debug`` shows the traceback for bug reports.

Importing a subcommand module costs only argparse: each handler imports what it runs (pandas,
scikit-learn, FastAPI) when it runs, so ``forescale --help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from forescale.models.errors import ForecastError
from forescale.scaler.cli.logs import configure_logging
from forescale.scaler.errors import ScalerError
from forescale.scaler.redact import redact

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from forescale.scaler.clock import Clock
    from forescale.scaler.config.settings import ApiSettings
    from forescale.scaler.controller.view import ControllerView, RecordStore

__all__ = ["ApiLauncher", "RunningApi", "main"]

SUBCOMMANDS = ("demo", "run", "backtest", "simulate", "tune", "train", "check_config")
_NEGATIVE_DURATION = re.compile(r"-\d+(\.\d+)?[a-zA-Z]+")
SIGPIPE_EXIT = 141
"""128 + SIGPIPE: what a shell reports for a command whose reader went away (``| head``)."""


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
    parser.add_argument("--version", action="version", version=f"forescale {_version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"forescale.scaler.cli.{name}").register(subparsers)
    return parser


def _version() -> str:
    from forescale import __version__

    return __version__


def main(argv: Sequence[str] | None = None, *, api: ApiLauncher | None = None) -> int:
    """Run ``forescale``; ``api`` serves the HTTP API for ``run`` and ``demo`` (None: no API)."""
    parser = build_parser()
    args = parser.parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
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
    except BrokenPipeError:
        # The reader went away (`forescale demo | head`): stop quietly, and point stdout at
        # /dev/null so that the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return SIGPIPE_EXIT


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """``--startup -5m`` as ``--startup=-5m``: argparse would take ``-5m`` for an option and say
    "expected one argument"; joined, the value reaches its parser, which says what is wrong."""
    out: list[str] = []
    for token in argv:
        previous = out[-1] if out else ""
        joinable = previous.startswith("--") and "=" not in previous
        if joinable and _NEGATIVE_DURATION.fullmatch(token):
            out[-1] = f"{previous}={token}"
        else:
            out.append(token)
    return out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
