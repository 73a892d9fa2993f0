"""moto's AWS API server (``moto[server]``) on a free loopback port, in this process.

One server per test session (it starts in milliseconds but its backends are slow to import);
`reset` wipes every backend between tests. `enforce_iam` switches on moto's IAM enforcement:
from then on every request must be signed by a moto IAM user whose policies allow the action.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

__all__ = ["MotoServer"]


class MotoServer:
    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        self._post("/moto-api/reset", b"")

    @contextmanager
    def enforce_iam(self) -> Iterator[None]:
        """IAM enforcement inside the block (moto checks actions, S3 resources and signatures;
        it cannot evaluate resource-tag conditions)."""
        self._post("/moto-api/reset-auth", b"0")
        try:
            yield
        finally:
            self._post("/moto-api/reset-auth", b"inf")

    def _post(self, path: str, body: bytes) -> None:
        # text/plain: with urllib's default form content type moto's Flask app eats the body.
        headers = {"Content-Type": "text/plain"}
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            json.loads(response.read() or b"{}")
