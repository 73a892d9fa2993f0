"""A picture of a tuning: the HPA's cost/unserved frontier, every candidate, and the choice.

Replica-hours across, unserved load up: a point below and left of the frontier serves more for
less. matplotlib with the Agg backend (no display), imported only when a plot is asked for.
"""

from __future__ import annotations

from pathlib import Path

from forescale.scaler.extras import require
from forescale.scaler.tuning.tuner import TuningResult

__all__ = ["plot_frontier"]


def plot_frontier(result: TuningResult, *, path: str | Path, title: str = "") -> None:
    matplotlib = require("matplotlib", extra="plot", feature="a tuning plot (--plot)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), constrained_layout=True)
    frontier = sorted(result.frontier, key=lambda o: o.replica_hours)
    ax.plot(
        [o.replica_hours for o in frontier], [o.unserved_pct for o in frontier],
        "-o", color="#d62728", ms=4, label="HPA alone, target 0.30-0.95",
    )  # fmt: skip
    for o in frontier:
        where = (o.replica_hours, o.unserved_pct)
        ax.annotate(f"{o.setting.target_utilization:.2f}", where, fontsize=7, color="#d62728",
                    xytext=(3, 3), textcoords="offset points")  # fmt: skip
    ax.scatter(
        [o.replica_hours for o in result.candidates], [o.unserved_pct for o in result.candidates],
        s=14, color="#1f77b4", alpha=0.5, label="Forescale candidates",
    )  # fmt: skip
    ax.scatter([result.hpa.replica_hours], [result.hpa.unserved_pct], marker="s", s=60,
               color="black", label="HPA alone at the configured target", zorder=3)  # fmt: skip
    ax.scatter([result.chosen.replica_hours], [result.chosen.unserved_pct], marker="*", s=220,
               color="#2ca02c", label=f"chosen: {result.setting.describe()}", zorder=4)  # fmt: skip
    ax.set_xlabel("replica-hours over the tuning window")
    ax.set_ylabel("unserved load (%)")
    ax.set_title(title or "Self-tuning: cost vs unserved load")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
