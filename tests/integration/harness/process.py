"""`ForescaleProcess`: the real ``forescale run`` in a child process, as an operator starts it.

The same console entry point (`forescale.service.main`), a settings file, ``FORESCALE_*``
variables and the environment an operator would give (AWS keys, tokens from a Secret). Its
stderr, where every log line goes, is kept in a file so that a test can read and grep it while it
runs and after it exits; `stop` sends SIGTERM, as the kubelet does, and waits for the exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO

__all__ = ["ForescaleProcess", "wait_for"]

_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONHASHSEED")


def wait_for(what: str, check: Callable[[], Any], *, timeout: float, every: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy (returned), else fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


class ForescaleProcess:
    """``forescale [--debug] run [--once]`` with ``settings`` (written as YAML) and ``env``.

    The child gets a clean environment: only ``PATH``-like basics, what ``env`` says and
    ``FORESCALE_CONFIG``; nothing of the test process's own AWS or Forescale variables leaks in.
    """

    def __init__(
        self,
        workdir: Path,
        settings: Mapping[str, Any],
        *,
        name: str = "forescale",
        env: Mapping[str, str] | None = None,
        once: bool = False,
        debug: bool = False,
    ) -> None:
        self.name = name
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / f"{name}.yaml"
        self.config.write_text(yaml.safe_dump(dict(settings)), encoding="utf-8")
        self.log_path = workdir / f"{name}.log"
        self.out_path = workdir / f"{name}.out"
        child_env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
        child_env.update(env or {})
        child_env["FORESCALE_CONFIG"] = str(self.config)
        args = [sys.executable, "-m", "forescale.service.main"]
        args += ["--debug"] if debug else []
        args += ["run", "--once"] if once else ["run"]
        self._log = self.log_path.open("wb")
        self._out = self.out_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
            args, cwd=REPO, env=child_env, stdout=self._out, stderr=self._log
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def out(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_log(self, text: str, *, timeout: float = 60.0, after: int = 0) -> str:
        """Wait until ``text`` appears in the log (from character ``after`` on)."""
        found = wait_for(
            f"{text!r} in {self.name}'s log",
            lambda: text in self.log()[after:] and self.log(),
            timeout=timeout,
        )
        return str(found)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._close()

    def stop(self, *, timeout: float = 30.0) -> int:
        """SIGTERM (what the kubelet sends), then wait for the exit code."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: a crash, an OOM kill, a node lost; nothing runs after it."""
        if self.running():
            self.process.kill()
        self.wait(10)

    def _close(self) -> None:
        self._log.close()
        self._out.close()

    def __enter__(self) -> ForescaleProcess:
        return self

    def __exit__(self, *_: object) -> None:
        if self.running():
            self.kill()
        self._close()
