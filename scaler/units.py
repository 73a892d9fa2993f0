"""Parsing of human durations (``90s``, ``5m``, ``6h``, ``14d``) used by the CLI and config."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    """``'90s'`` -> 90 seconds. Units: s, m, h, d, w. Raises ValueError with an example."""
    match = _RE.match(str(text).lower())
    if not match:
        raise ValueError(
            f"invalid duration {text!r}: use a number and a unit s, m, h or d, "
            "e.g. 90s, 5m, 6h, 14d"
        )
    value = float(match.group(1)) * _UNITS[match.group(2)]
    if value <= 0:
        raise ValueError(f"duration {text!r} must be positive, e.g. 5m")
    return timedelta(seconds=value)


def format_duration(delta: timedelta) -> str:
    """The shortest exact form: 300 s -> ``'5m'``, 5400 s -> ``'90m'``."""
    seconds = int(delta.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"
