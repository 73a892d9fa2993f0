"""The ``forescale`` console script: the CLI with the HTTP API plugged in.

`service` is the top layer, so the process is composed here: `scaler.cli.main` runs every
subcommand and receives `launch_api` for the ones that serve the API (``run``, ``demo``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from forescale.scaler.cli import main as cli_main

if TYPE_CHECKING:  # FastAPI and uvicorn load only when a command serves the API
    from prometheus_client import CollectorRegistry

    from forescale.scaler.clock import Clock
    from forescale.scaler.config.settings import ApiSettings
    from forescale.scaler.controller.view import ControllerView, RecordStore
    from forescale.service.server import ApiServer

__all__ = ["launch_api", "main"]


def launch_api(
    *,
    view: ControllerView,
    store: RecordStore,
    settings: ApiSettings,
    registry: CollectorRegistry,
    clock: Clock,
) -> ApiServer:
    from forescale.service.app import create_app
    from forescale.service.server import ApiServer

    app = create_app(view, store, settings=settings, registry=registry, clock=clock)
    cert, key = settings.tls_cert_file, settings.tls_key_file
    return ApiServer(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
    ).start()


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, api=launch_api)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
