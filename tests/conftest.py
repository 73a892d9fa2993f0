"""Root fixtures and guards shared by every test.

- No network except loopback: an autouse guard refuses any other ``socket.connect``.
- `require(what, ok, why)`: integration tests never skip silently in CI. With ``CI`` set a missing
  server is a failure; elsewhere it is a skip with the reason.
- Logging levels, root handlers and their filters are put back after each test: a CLI run in process
  (``main(["run", ...])``) configures the process's logging, and the next test must not inherit it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

# Real servers started once per test session (each fails loudly in CI when it cannot start).
pytest_plugins = [
    "tests.integration.prometheus.server",
    "tests.integration.kube.fixtures",
    "tests.integration.aws.plugin",
    "tests.integration.postgres.plugin",
]

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
IN_CI = bool(os.environ.get("CI"))


def require(what: str, ok: bool, why: str) -> None:
    """Fail in CI, skip elsewhere, when an integration prerequisite is missing."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but unavailable: {why}", pytrace=False)
    pytest.skip(f"{what} unavailable: {why}")


def shared_trace(name: str) -> Path:
    """A trace from ../shared/data (present on developer machines and in CI)."""
    path = SHARED_DATA / name
    require(f"trace {name}", path.exists(), f"{path} not found")
    return path


_real_connect = socket.socket.connect


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # AF_UNIX paths


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def guarded(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise RuntimeError(f"tests may only use loopback; refused connect to {address!r}")
        _real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(name) for name in ("forescale", "uvicorn"))]
    levels = [logger.level for logger in loggers]
    handlers = list(root.handlers)
    filters = {handler: list(handler.filters) for handler in root.handlers}
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    root.handlers[:] = handlers  # the CLI adds its own stderr handler
    for handler in root.handlers:
        handler.filters[:] = filters.get(handler, handler.filters)
