"""A real Prometheus server on loopback: backfill, start, reconfigure, query, stop by PID.

Plain functions and one class, no pytest, so benchmarks start servers the same way the tests do.
The pytest fixtures built on this live in `server.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.integration.prometheus.openmetrics import Family, write_openmetrics

__all__ = ["PrometheusServer", "binaries", "free_port", "start_prometheus"]

READY_TIMEOUT_S = 30.0


def binaries() -> tuple[str, str] | None:
    """``(prometheus, promtool)`` from PATH, or None when the Debian package is missing."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    return (prometheus, promtool) if prometheus and promtool else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrometheusServer:
    """One running ``prometheus`` process; ``stop()`` ends it by its PID."""

    def __init__(
        self,
        *,
        workdir: Path,
        process: subprocess.Popen[bytes],
        port: int,
        scrape_interval: str,
    ) -> None:
        self.workdir = workdir
        self.process = process
        self.port = port
        self.scrape_interval = scrape_interval
        self.url = f"http://127.0.0.1:{port}"
        self._jobs: dict[str, tuple[list[str], str]] = {}

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log(self) -> str:
        path = self.workdir / "prometheus.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it has not exited within 10 s."""
        if not self.running():
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def add_scrape_job(self, job: str, targets: Iterable[str], *, path: str = "/metrics") -> None:
        """Scrape ``targets`` (``host:port``) from now on: rewrites the config and reloads."""
        self._jobs[job] = (list(targets), path)
        self._reload()

    def remove_scrape_job(self, job: str) -> None:
        self._jobs.pop(job, None)
        self._reload()

    def _reload(self) -> None:
        write_config(self.workdir / "prometheus.yml", self.scrape_interval, self._jobs)
        request = urllib.request.Request(self.url + "/-/reload", method="POST")
        with urllib.request.urlopen(request, timeout=10) as reply:
            if reply.status != 200:
                raise RuntimeError(f"reload failed: HTTP {reply.status}")

    def query(self, promql: str) -> list[dict[str, Any]]:
        """Instant query, for assertions that should not depend on the code under test."""
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as reply:
            body = json.load(reply)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def wait_for(self, promql: str, *, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Poll an instant query until it returns something (e.g. the first scrape landed)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(promql)
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"{promql!r} still empty after {timeout}s\n{self.log[-2000:]}")
            time.sleep(0.2)


def write_config(path: Path, scrape_interval: str, jobs: dict[str, tuple[list[str], str]]) -> None:
    lines = [
        "global:",
        f"  scrape_interval: {scrape_interval}",
        f"  scrape_timeout: {scrape_interval}",
        "scrape_configs:" if jobs else "scrape_configs: []",
    ]
    for job, (targets, metrics_path) in jobs.items():
        lines += [
            f"  - job_name: {json.dumps(job)}",
            f"    metrics_path: {json.dumps(metrics_path)}",
            "    static_configs:",
            f"      - targets: {json.dumps(targets)}",
        ]
    path.write_text("\n".join(lines) + "\n")


def backfill(workdir: Path, families: Iterable[Family], *, promtool: str) -> int:
    """OpenMetrics file -> TSDB blocks in ``workdir/data`` (24 h blocks: 10x faster than 2 h)."""
    source = workdir / "backfill.om"
    count = write_openmetrics(source, families)
    subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=24h",
            "-q",
            str(source),
            str(workdir / "data"),
        ],
        check=True,
        capture_output=True,
    )
    source.unlink()
    return count


def start_prometheus(
    workdir: Path,
    *,
    families: Iterable[Family] = (),
    retention: str = "60d",
    scrape_interval: str = "1s",
) -> PrometheusServer:
    """Backfill ``families`` and start Prometheus on a free loopback port; waits until ready.

    Retention is explicit because Prometheus deletes backfilled blocks older than it at startup
    (default 15 d, shorter than a 14-day history plus margin).
    """
    found = binaries()
    if found is None:
        raise FileNotFoundError("prometheus/promtool not on PATH: apt-get install prometheus")
    prometheus, promtool = found
    workdir.mkdir(parents=True, exist_ok=True)
    backfill(workdir, families, promtool=promtool)
    write_config(workdir / "prometheus.yml", scrape_interval, {})
    for _ in range(3):  # a free port can be taken between the probe and the bind
        server = _launch(workdir, prometheus, retention, scrape_interval)
        if _wait_ready(server):
            return server
        server.stop()
        if "address already in use" not in server.log:
            break
    raise RuntimeError(f"Prometheus did not become ready:\n{server.log[-3000:]}")


def _launch(workdir: Path, binary: str, retention: str, interval: str) -> PrometheusServer:
    port = free_port()
    with (workdir / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--storage.tsdb.retention.time={retention}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return PrometheusServer(workdir=workdir, process=process, port=port, scrape_interval=interval)


def _wait_ready(server: PrometheusServer) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if not server.running():
            return False
        try:
            with urllib.request.urlopen(server.url + "/-/ready", timeout=1) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False
