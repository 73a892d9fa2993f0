"""Argument types shared by the subcommands, so that one mistake reads the same everywhere.

Durations (``--startup 5m``, ``--horizon 60m``, ``--test 7d``) all go through `duration`:
``forescale simulate: error: argument --startup: invalid duration '5x': use a number and a
unit ...``, the message of `scaler.units.parse_duration`, whatever the command. An HPA's
behavior (``--hpa-behavior FILE.yaml``) goes through `hpa_behavior_file`, whose errors name the
field to fix.
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forescale.scaler.units import parse_duration

if TYPE_CHECKING:
    from forescale.scaler.hpa.behavior import HpaBehavior

__all__ = ["duration", "fraction", "hpa_behavior_file", "positive", "positive_int", "writable"]


def duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def fraction(text: str) -> float:
    value = positive(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def writable(path: Path, *, flag: str) -> Path:
    """``path`` when a file can be written there, checked before any long work starts."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ValueError(f"{flag} {path} is a directory; give a file name")
    if not parent.is_dir():
        raise ValueError(f"{flag} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PermissionError(f"{flag} {path}: not writable")
    return path


def hpa_behavior_file(text: str) -> HpaBehavior:
    """An HPA's ``spec.behavior`` from a YAML file: the behavior itself (``scaleUp``,
    ``scaleDown``), or the whole HPA manifest (its ``spec.behavior`` is used), so a user can
    point at the file they apply."""
    import yaml

    from forescale.scaler.errors import ConfigError
    from forescale.scaler.hpa.spec import parse_behavior

    path = Path(text)
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise argparse.ArgumentTypeError(f"{path} is not valid YAML: {exc}") from None
    where = "behavior"
    if isinstance(raw, dict) and ("spec" in raw or "kind" in raw):
        where, raw = "spec.behavior", (raw.get("spec") or {}).get("behavior")
        if raw is None:
            raise argparse.ArgumentTypeError(
                f"{path}: the manifest has no spec.behavior (its HPA runs the default behavior: "
                "leave out --hpa-behavior)"
            )
    elif isinstance(raw, dict) and "behavior" in raw:
        where, raw = "behavior", raw["behavior"]
    try:
        return parse_behavior(raw, where=where)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(f"{path}: {exc}") from None
