"""Serve the app with uvicorn in a background thread (the controller process, the demo, tests).

`ApiServer` binds first (port 0 picks a free port, read back from the socket), then serves until
`stop`. uvicorn's proxy-header rewriting is off: Forescale trusts a proxy only through
``api.trusted_proxy_header``, and rewriting client addresses from ``X-Forwarded-For`` would make
access logs lie about who called. Access logs carry method, path and status only; tokens travel
in headers, which are never logged.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

__all__ = ["ApiServer"]

log = logging.getLogger(__name__)


class ApiServer:
    """``with ApiServer(app, host="127.0.0.1", port=0) as server: httpx.get(server.url + ...)``."""

    def __init__(
        self,
        app: FastAPI,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
    ) -> None:
        self._socket = socket.create_server((host, port), family=_family(host), reuse_port=False)
        bound_port: int = self._socket.getsockname()[1]
        self.host, self.port = host, bound_port
        config = uvicorn.Config(
            app, log_config=None, proxy_headers=False, server_header=False, access_log=True,
            lifespan="on", timeout_graceful_shutdown=5,
            ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
        )  # fmt: skip
        self.scheme = "https" if ssl_certfile else "http"
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="forescale-api", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def start(self, *, timeout: float = 10.0) -> ApiServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start on {self.url}")
            time.sleep(0.01)
        log.info("API serving on %s", self.url)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
