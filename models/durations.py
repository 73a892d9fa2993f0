"""The one parser of human durations (``90s``, ``5m``/``5min``, ``6h``, ``14d``, ``2w``).

Model hyperparameters (``window="28d"``), the CLI's flags and the target specs all read
durations here, so that a form one of them accepts is accepted by all and a mistake reads the
same everywhere. It lives in ``models`` because ``scaler`` may import ``models`` and not the
reverse; `forescale.scaler.units` re-exports it under the names the scaler has always used, and
`forescale.models.validation.to_timedelta` gives it as a pandas Timedelta. No pandas here: the
CLI and the API import this without loading it.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["duration_seconds", "format_duration", "parse_duration"]

_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
# A sign is matched only so that "-5m" is refused as "must be positive", not as a bad form.
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(s|min|m|h|d|w)\s*$")


def duration_seconds(text: str) -> float:
    """``'90s'`` -> 90.0; refuses a form without a unit, and a zero or negative duration.

    Every duration here is a length of time something runs, waits or looks back: zero is a
    mistake (a typo for ``10m``, a unit forgotten), never a way to turn something off.
    """
    match = _DURATION.match(str(text).lower())
    if not match:
        raise ValueError(
            f"invalid duration {text!r}: use a number and a unit s, m, h or d, "
            "e.g. 90s, 5m, 6h, 14d"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"duration {text!r} must be positive, e.g. 5m")
    return seconds


def parse_duration(text: str) -> timedelta:
    """``'90s'`` -> ``timedelta(seconds=90)`` (the CLI's flags and the target specs)."""
    return timedelta(seconds=duration_seconds(text))


def format_duration(delta: timedelta) -> str:
    """The shortest exact form: 300 s -> ``'5m'``, 5400 s -> ``'90m'``."""
    seconds = int(delta.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"
