"""Helpers every benchmark shares: timing (median, p99), machine facts, RESULTS.md sections.

Each benchmark owns one section of ``benchmarks/RESULTS.md`` between ``<!-- section:NAME -->``
and ``<!-- /section:NAME -->`` and rewrites only that, so benchmarks run at different times (by
different people) never clobber each other's figures. The file is replaced atomically.
"""

from __future__ import annotations

import fcntl
import os
import platform
import re
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

__all__ = [
    "RESULTS",
    "Timing",
    "command_line",
    "machine_summary",
    "markdown_table",
    "progress",
    "time_calls",
    "write_section",
]

RESULTS = Path(__file__).with_name("RESULTS.md")
_TITLE = "# Benchmark results\n"


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall-clock seconds of repeated calls."""

    samples: tuple[float, ...]

    @property
    def runs(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return float(np.percentile(self.samples, 99))

    def ms(self, which: str = "median") -> str:
        value = 1e3 * (self.median if which == "median" else self.p99)
        return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def time_calls(fn: Callable[[], object], *, runs: int, warm_up: int = 1) -> Timing:
    """Time ``runs`` calls of ``fn`` after ``warm_up`` untimed ones (imports, caches)."""
    for _ in range(warm_up):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples))


def progress(name: str, message: str) -> None:
    print(f"[{name}] {message}", file=sys.stderr, flush=True)


def machine_summary() -> str:
    """One line: CPU, OS, Python, cores, load (the box may be shared), UTC date."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.machine()}, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average {load:.1f} at the "
        f"end (the machine may be shared); {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def command_line() -> str:
    """How this benchmark was started, as a command to paste."""
    module = Path(sys.argv[0]).with_suffix("").name
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f".venv/bin/python -m benchmarks.{module} {args}".strip()


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name: str, body: str, *, path: Path = RESULTS) -> None:
    """Replace (or append) the section ``name`` of ``path`` with ``body``; other sections stay."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"invalid section name {name!r}")
    block = f"<!-- section:{name} -->\n{body.strip()}\n<!-- /section:{name} -->"
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)  # two benchmarks finishing at once: no lost section
        _replace_section(path, name, block)
    finally:
        os.close(folder)


def _replace_section(path: Path, name: str, block: str) -> None:
    text = path.read_text() if path.exists() else _TITLE
    pattern = re.compile(
        rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
