"""A real PostgreSQL (Debian package) on loopback: initdb into a temp dir, start, stop by PID.

Plain functions and one class, no pytest, so benchmarks could start servers the same way. The
server runs in the foreground as our child (no pg_ctl daemon), listens on 127.0.0.1 only with
no Unix socket, trusts local connections (a throwaway test cluster) and skips fsync for speed.
As root (containers), it runs as the ``postgres`` user, which initdb requires.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

__all__ = ["PostgresServer", "binaries", "start_postgres"]

READY_TIMEOUT_S = 30.0
USER = "forescale"


def binaries() -> Path | None:
    """The directory holding ``initdb`` and ``postgres``, or None when PostgreSQL is missing."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version)
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(os.path.realpath(found)).parent))
    for directory in reversed(candidates):
        if (Path(directory) / "initdb").exists() and (Path(directory) / "postgres").exists():
            return Path(directory)
    return None


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in Path(path).parent.name.split(".") if p.isdigit())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_postgres_user() -> list[str]:
    """``setpriv`` prefix when root (it execs, so the child PID is the server's own)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


class PostgresServer:
    """One running ``postgres`` process; `stop` ends it by its PID and removes its data."""

    def __init__(self, *, workdir: Path, process: subprocess.Popen[bytes], port: int) -> None:
        self.workdir, self.process, self.port = workdir, process, port
        self._databases = 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    @property
    def log(self) -> str:
        path = self.workdir / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        self._databases += 1
        name = f"records_{self._databases}"
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def admin(self, statement: str) -> None:
        """Run one statement as the superuser on the maintenance database (tests' own SQL)."""
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as connection:
            connection.execute(statement.encode())

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={USER} dbname={database} connect_timeout=5"

    def stop(self) -> None:
        """SIGINT (PostgreSQL's fast shutdown) by PID, SIGKILL after 10 s, then remove the data."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}:\n{self.log}")
            try:
                with psycopg.connect(self._dsn("postgres")):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    message = f"postgres not ready in {READY_TIMEOUT_S}s:\n{self.log}"
                    raise TimeoutError(message) from None
                time.sleep(0.05)


def start_postgres(bin_dir: Path) -> PostgresServer:
    """initdb a fresh cluster in a temp dir and start it on a free loopback port."""
    workdir = Path(tempfile.mkdtemp(prefix="forescale-pg-"))
    data = workdir / "data"
    prefix = _as_postgres_user()
    if prefix:
        entry = pwd.getpwnam("postgres")
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    subprocess.run(
        [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
         "--encoding=UTF8", "--locale=C", "--no-sync"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = _free_port()
    log = open(workdir / "postgres.log", "wb")  # noqa: SIM115 - the server writes it until stop
    process = subprocess.Popen(
        [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
         "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
         "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    server = PostgresServer(workdir=workdir, process=process, port=port)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server
