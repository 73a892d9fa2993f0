"""Progress for long CLI work: a one-line bar on a terminal, a line per ~10 % otherwise."""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    def __init__(self, label: str, *, unit: str = "steps", stream: IO[str] | None = None) -> None:
        self.label, self.unit = label, unit
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()
        self.last_decile = -1

    def __call__(self, done: int, total: int) -> None:
        fraction = done / max(total, 1)
        elapsed = time.perf_counter() - self.started
        if self.tty:
            filled = int(24 * fraction)
            bar = "#" * filled + "." * (24 - filled)
            print(f"\r{self.label} [{bar}] {done}/{total} {self.unit} {elapsed:.0f}s", end="",
                  file=self.stream, flush=True)  # fmt: skip
        elif int(10 * fraction) > self.last_decile:
            self.last_decile = int(10 * fraction)
            print(f"{self.label}: {done}/{total} {self.unit}, {elapsed:.0f}s", file=self.stream)

    def done(self, outcome: str) -> None:
        elapsed = time.perf_counter() - self.started
        prefix = "\r" if self.tty else ""
        print(f"{prefix}{self.label}: {outcome} in {elapsed:.1f}s" + " " * 20, file=self.stream)
