"""What a target's tuner minimises cost under: the service it must keep.

``same-as-hpa`` (the default): serve at least as much of the load as the HPA alone at its
configured target utilisation would have served over the same history. ``max-unserved``: leave at
most that percentage of the load unserved. Cost (replica-hours) is what the tuner minimises.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["Objective", "ObjectiveError"]

SAME_AS_HPA = "same-as-hpa"
_MAX_UNSERVED = re.compile(r"^max-unserved[:=]\s*([0-9.eE+-]+)\s*%?$")
_KEYS = ("maxUnservedPercent", "max_unserved_percent")


class ObjectiveError(ValueError):
    """An objective that cannot be understood; the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class Objective:
    max_unserved_pct: float | None = None
    """None: the same service as the HPA alone; otherwise at most this % of load unserved."""

    def __post_init__(self) -> None:
        p = self.max_unserved_pct
        if p is not None and not (math.isfinite(p) and 0 <= p < 100):
            raise ObjectiveError(f"maxUnservedPercent must be in [0, 100), got {p}")

    @property
    def same_as_hpa(self) -> bool:
        return self.max_unserved_pct is None

    def describe(self) -> str:
        if self.max_unserved_pct is None:
            return "serve as much as the HPA alone"
        return f"leave at most {self.max_unserved_pct:g}% of the load unserved"

    def limit(self, hpa_unserved_pct: float) -> float:
        """The most unserved load % a candidate may leave, given the HPA alone's on the history.

        Same-as-HPA allows 0.01 percentage points of slack: the HPA's own figure on a week of
        history is not known closer than that, and without slack no candidate ever ties it."""
        if self.max_unserved_pct is None:
            return hpa_unserved_pct + 0.01
        return self.max_unserved_pct

    def to_text(self) -> str:
        if self.max_unserved_pct is None:
            return SAME_AS_HPA
        return f"max-unserved:{self.max_unserved_pct:g}%"

    @classmethod
    def parse(cls, value: object) -> Objective:
        """``same-as-hpa``, ``max-unserved:0.1%`` or ``{maxUnservedPercent: 0.1}``."""
        if value is None:
            return cls()
        if isinstance(value, Objective):
            return value
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(_KEYS))
            if unknown or not value:
                raise ObjectiveError(
                    f"objective: unknown key(s) {', '.join(map(str, unknown)) or '(none)'}; "
                    "expected 'same-as-hpa' or {maxUnservedPercent: P}"
                )
            raw = next(iter(value.values()))
            return cls(max_unserved_pct=_number(raw))
        if isinstance(value, str):
            text = value.strip()
            if text == SAME_AS_HPA:
                return cls()
            match = _MAX_UNSERVED.match(text)
            if match:
                return cls(max_unserved_pct=_number(match.group(1)))
        raise ObjectiveError(
            f"objective {value!r} not understood; expected 'same-as-hpa', 'max-unserved:P%' or "
            "{maxUnservedPercent: P}"
        )


def _number(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ObjectiveError(f"maxUnservedPercent must be a number, got {raw!r}")
    try:
        return float(raw)
    except ValueError:
        raise ObjectiveError(f"maxUnservedPercent must be a number, got {raw!r}") from None
