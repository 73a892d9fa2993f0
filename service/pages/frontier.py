"""The self-tuning frontier of one target as SVG geometry (pure): replica-hours across, unserved
load up; the HPA alone at each target utilisation as a line, Forescale's candidates as dots, the
chosen setting as a larger mark. Below and left of the line is more service for less money."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["FrontierChart", "build_frontier"]

WIDTH, HEIGHT, LEFT, BOTTOM, PAD = 480, 260, 56, 36, 12


@dataclass(frozen=True, slots=True)
class FrontierChart:
    width: int
    height: int
    hpa_path: str
    candidates: list[tuple[float, float]]
    chosen: tuple[float, float]
    x_label: str
    y_label: str


def build_frontier(tuning: dict[str, Any]) -> FrontierChart | None:
    """From `scaler.tuning.report.tuning_detail`; None when it holds no frontier."""
    frontier = sorted((p["replicaHours"], p["unservedPercent"]) for p in tuning.get("frontier", []))
    points = [(p["replicaHours"], p["unservedPercent"]) for p in tuning.get("candidates", [])]
    chosen = (tuning["expectedReplicaHours"], tuning["expectedUnservedPercent"])
    every = [*frontier, *points, chosen]
    if not frontier or not all(math.isfinite(v) for xy in every for v in xy):
        return None
    x_lo, x_hi = min(x for x, _ in every), max(x for x, _ in every)
    y_hi = max(y for _, y in every) or 1.0
    span = (x_hi - x_lo) or 1.0

    def px(x: float, y: float) -> tuple[float, float]:
        return (
            round(LEFT + (x - x_lo) / span * (WIDTH - LEFT - PAD), 1),
            round(HEIGHT - BOTTOM - y / y_hi * (HEIGHT - BOTTOM - PAD), 1),
        )

    path = "M" + " L".join(f"{a},{b}" for a, b in (px(x, y) for x, y in frontier))
    return FrontierChart(
        width=WIDTH, height=HEIGHT, hpa_path=path,
        candidates=[px(x, y) for x, y in points], chosen=px(*chosen),
        x_label=f"replica-hours {x_lo:,.0f} .. {x_hi:,.0f}",
        y_label=f"unserved 0 .. {y_hi:.3g} %",
    )  # fmt: skip
