"""The replay benchmark's overview figure: one small panel per trace, the HPA frontier in each.

A ratio says where Forescale sits against the frontier; the panel shows why: how steep the
frontier is there, whether Forescale lies inside the swept range, and how far the HPA at the
user's 0.8 is from both. matplotlib with the Agg backend: no display needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FrontierPanel", "plot_frontiers"]

HPA, FORESCALE = "#d62728", "#1f77b4"


@dataclass(frozen=True)
class FrontierPanel:
    title: str
    sweep: tuple[tuple[float, float, float], ...]
    """(target utilisation, replica-hours, unserved %) per HPA setting."""
    forescale: tuple[float, float]
    """(replica-hours, unserved %)."""
    hpa_at_08: tuple[float, float]


def plot_frontiers(panels: list[FrontierPanel], path: Path, *, columns: int = 4) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = max(1, math.ceil(len(panels) / columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(3.4 * columns, 2.6 * rows), constrained_layout=True, squeeze=False
    )
    for ax, panel in zip(axes.flat, panels, strict=False):
        sweep = sorted(panel.sweep, key=lambda p: p[1])
        ax.plot([p[1] for p in sweep], [p[2] for p in sweep], ".-", color=HPA, lw=1, ms=4)
        for u, x, y in (sweep[0], sweep[-1]):
            ax.annotate(f"{u:.2f}", (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
        ax.plot(*panel.hpa_at_08, "o", mfc="none", mec=HPA, ms=8)
        ax.plot(*panel.forescale, "*", color=FORESCALE, ms=11)
        ax.set_title(panel.title, fontsize=7)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("unserved load %", fontsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel("replica-hours", fontsize=7)
    fig.suptitle(
        "HPA alone at target utilisation 0.30-0.95 (red line; ring: 0.8) vs Forescale at its "
        "defaults (star); lower left is better",
        fontsize=9,
    )
    fig.savefig(path, dpi=90)
    plt.close(fig)
