"""What `wiring.build` opens is closed on shutdown: the record store's database connections and
the Prometheus session's sockets (counted by the process's own open files, not by mocks)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from forescale.scaler.config.settings import load_settings
from forescale.scaler.wiring import build
from tests.integration.kube.objects import pa_manifest
from tests.integration.prometheus.server import NASA_QUERY, SeededPrometheus

pytestmark = [pytest.mark.prometheus]


def open_files(path: Path) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if _link(fd) == str(path))


def connections_to(port: int) -> int:
    """This process's TCP sockets whose remote port is ``port``."""
    ours = {link[8:-1] for fd in Path("/proc/self/fd").iterdir()
            if (link := _link(fd)).startswith("socket:[")}  # fmt: skip
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            remote, state, inode = fields[2], fields[3], fields[9]
            if int(remote.rsplit(":", 1)[1], 16) == port and state == "01" and inode in ours:
                count += 1
    return count


def _link(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:  # closed meanwhile
        return ""


def test_shutdown_closes_the_record_store_and_the_prometheus_session(
    prometheus: SeededPrometheus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump(pa_manifest(
        "nasa", "shop", query=NASA_QUERY, capacityPerReplica=5, maxReplicas=200, history="1d",
        model="seasonal_naive", mode="ForecastOnly",
    )))  # fmt: skip
    database = tmp_path / "forescale.db"
    for name in [n for n in os.environ if n.startswith("FORESCALE_")]:
        monkeypatch.delenv(name)
    settings = load_settings(
        prometheus={"url": prometheus.url},
        controller={"targets_file": str(targets)},
        store={"url": f"sqlite:///{database}"},
    )
    port = int(prometheus.url.rsplit(":", 1)[1])
    assembly = build(settings)
    report = assembly.controller.run_once()
    assert not report.errors and "shop/nasa" in report.outcomes
    assert open_files(database) >= 1 and connections_to(port) >= 1

    assembly.close()

    assert open_files(database) == 0
    assert connections_to(port) == 0
    assert assembly.closers == []
