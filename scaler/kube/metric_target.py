"""The target of an HPA's metric as Forescale may run it hotter (pure: no API calls).

An autoscaling/v2 HPA scales on one or more metrics, each with a target: ``averageUtilization``
(a percentage of the pods' requests, for Resource metrics), ``averageValue`` or ``value`` (a
Kubernetes quantity, for Pods/Object/External metrics or Resource metrics by value). The tuner
speaks in target *utilisation* of the spec's ``capacityPerReplica``; the spec's own
``targetUtilization`` stands for the user's HPA target. So a tuned utilisation ``u`` is written
as the user's own target times ``u / targetUtilization``: 80 % at a spec of 0.8 becomes 90 % for
a tuned 0.9, an ``averageValue`` of 80 becomes 90, and a user whose HPA target and spec differ
keeps their own scale.

Which metric: the one named by ``spec.hpaTargetMetric`` (a resource name like ``cpu``, or the
metric's name), else the HPA's only metric. With several and none named, nothing is written:
which of them the load query measures cannot be told, and raising the wrong one's target would
run the HPA hotter on a load Forescale does not forecast.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MetricTarget",
    "find_metric",
    "format_quantity",
    "parse_quantity",
    "scaled_value",
    "with_value",
]

_PART = {
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
}
_FIELD = {"Utilization": "averageUtilization", "AverageValue": "averageValue", "Value": "value"}
_SUFFIX = {
    "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "P": 1e15, "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40,
    "Pi": 2.0**50, "Ei": 2.0**60,
}  # fmt: skip
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


@dataclass(frozen=True, slots=True)
class MetricTarget:
    """One metric's target as written on the HPA: where it is and its value."""

    index: int
    type: str
    """The metric's ``type``: Resource, ContainerResource, Pods, Object or External."""
    name: str
    field: str
    """``averageUtilization``, ``averageValue`` or ``value``."""
    value: str
    """As written (``80``, ``500m``): restored byte for byte."""

    def describe(self) -> str:
        return f"{self.name} {self.field} {self.value}"

    def to_json(self) -> str:
        """What the baseline annotation holds (the index is looked up again on restore)."""
        fields = {"type": self.type, "name": self.name, "field": self.field, "value": self.value}
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> MetricTarget | None:
        try:
            raw = json.loads(text)
            return cls(-1, str(raw["type"]), str(raw["name"]), str(raw["field"]), str(raw["value"]))
        except (ValueError, TypeError, KeyError):
            return None


def targets_of(metrics: list[dict[str, Any]]) -> list[MetricTarget]:
    """Every metric of an HPA spec whose target Forescale knows how to scale."""
    found = []
    for i, metric in enumerate(metrics):
        kind = str(metric.get("type", ""))
        part = metric.get(_PART.get(kind, ""), None)
        if not isinstance(part, dict):
            continue
        name = part.get("name") if kind in ("Resource", "ContainerResource") else None
        name = name or (part.get("metric") or {}).get("name")
        target = part.get("target") or {}
        field = _FIELD.get(str(target.get("type", "")))
        if name and field and target.get(field) is not None:
            found.append(MetricTarget(i, kind, str(name), field, str(target[field])))
    return found


def find_metric(metrics: list[dict[str, Any]], wanted: str | None) -> MetricTarget | str:
    """The metric the load corresponds to, or why none can be chosen."""
    known = targets_of(metrics)
    if wanted is not None:
        named = [t for t in known if t.name == wanted]
        if len(named) == 1:
            return named[0]
        names = ", ".join(t.name for t in known) or "none"
        return f"the HPA has no single metric named {wanted!r} (its metrics: {names})"
    if len(known) == 1:
        return known[0]
    if not known:
        return "the HPA has no metric with a target Forescale can scale"
    names = ", ".join(t.name for t in known)
    return (
        f"the HPA has {len(known)} metrics ({names}): name the one the load query measures in "
        "spec.hpaTargetMetric"
    )


def locate(metrics: list[dict[str, Any]], recorded: MetricTarget) -> MetricTarget | None:
    """``recorded``'s metric as it is on the HPA now (None: the user removed it)."""
    return next(
        (t for t in targets_of(metrics) if (t.type, t.name, t.field) ==
         (recorded.type, recorded.name, recorded.field)),
        None,
    )  # fmt: skip


def scaled_value(target: MetricTarget, factor: float) -> str:
    """``target``'s value times ``factor``, written as the HPA takes it."""
    if target.field == "averageUtilization":
        return str(max(1, round(float(target.value) * factor)))
    match = _QUANTITY.match(target.value.strip())
    if match is not None and match.group(2) in _SUFFIX:  # in the user's unit when it is whole
        number = float(match.group(1)) * factor
        if abs(number - round(number)) < 1e-9:
            return f"{round(number)}{match.group(2)}"
    return format_quantity(parse_quantity(target.value) * factor)


def with_value(metrics: list[dict[str, Any]], target: MetricTarget, value: str) -> list[Any]:
    """A copy of ``metrics`` with ``target``'s value replaced (a merge patch replaces lists)."""
    copied: list[Any] = json.loads(json.dumps(metrics))
    part = copied[target.index][_PART[target.type]]
    part["target"][target.field] = int(value) if target.field == "averageUtilization" else value
    return copied


def parse_quantity(text: str) -> float:
    """A Kubernetes quantity (``80``, ``500m``, ``1.5k``, ``2Gi``, ``1e3``) as a float."""
    match = _QUANTITY.match(text.strip())
    if match is None or match.group(2) not in _SUFFIX:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def format_quantity(value: float) -> str:
    """``value`` as a quantity: a whole number plainly, else in thousandths (``85500m``)."""
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"cannot write {value} as a quantity")
    milli = round(value * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"
