"""Write OpenMetrics text for ``promtool tsdb create-blocks-from openmetrics``.

promtool's rules (infra-recipes.md §1): timestamps in seconds, every family's samples together,
each series in time order, ``# EOF`` last. NaN is written ``NaN`` (OpenMetrics spelling), which
Prometheus stores as a real NaN sample, distinct from a missing one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TextIO

import numpy as np

__all__ = ["Family", "Series", "write_openmetrics"]


@dataclass(frozen=True)
class Series:
    """One labelled series: ``timestamps`` in Unix seconds (increasing), float ``values``."""

    labels: Mapping[str, str]
    timestamps: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        if len(self.timestamps) != len(self.values):
            raise ValueError("timestamps and values differ in length")
        if len(self.timestamps) > 1 and not (np.diff(self.timestamps) > 0).all():
            raise ValueError("timestamps must increase (promtool rejects out-of-order samples)")


@dataclass(frozen=True)
class Family:
    """A metric family: for a counter ``name`` is the base name and samples get ``_total``."""

    name: str
    type: Literal["gauge", "counter"]
    help: str
    series: Sequence[Series] = field(default_factory=list)


def write_openmetrics(path: Path, families: Iterable[Family]) -> int:
    """Write ``families`` to ``path``; returns the number of samples written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for family in families:
            count += _write_family(out, family)
        out.write("# EOF\n")
    return count


def _write_family(out: TextIO, family: Family) -> int:
    out.write(f"# HELP {family.name} {family.help}\n# TYPE {family.name} {family.type}\n")
    sample = family.name + ("_total" if family.type == "counter" else "")
    count = 0
    for series in family.series:
        prefix = sample + _labels(series.labels) + " "
        out.writelines(
            f"{prefix}{_value(v)} {_timestamp(t)}\n"
            for t, v in zip(series.timestamps.tolist(), series.values.tolist(), strict=True)
        )
        count += len(series.timestamps)
    return count


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))  # shortest text that parses back to the same float


def _timestamp(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else repr(float(t))
