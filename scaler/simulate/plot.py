"""A picture of a replay: load, ready capacity per policy and the forecast band over time.

Two panels: the whole trace, and the day around its peak load (where the difference shows).
matplotlib with the Agg backend: no display needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forescale.scaler.extras import require
from forescale.scaler.simulate.replay import ReplayResult
from forescale.scaler.simulate.workload import ready_replicas

__all__ = ["plot_replay"]

COLORS = {"predictive": "#1f77b4", "reactive": "#d62728", "oracle": "#7f7f7f"}


def plot_replay(
    result: ReplayResult, *, capacity: float, path: str | Path, title: str = ""
) -> None:
    matplotlib = require("matplotlib", extra="plot", feature="a replay plot (--plot)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    load = pd.Series(result.load, index=result.index)
    peak_at = pd.Timestamp(
        result.index[int(np.nanargmax(result.load))]
        if load.notna().any()
        else result.index[len(result.index) // 2]
    )
    zoom = (peak_at - pd.Timedelta(hours=12), peak_at + pd.Timedelta(hours=12))
    fig, axes = plt.subplots(2, 1, figsize=(14, 8), constrained_layout=True)
    for ax, window in zip(axes, (None, zoom), strict=True):
        _panel(ax, result, load, capacity=capacity, window=window)
    axes[0].set_title(title or "Replay: load vs ready capacity")
    axes[1].set_title("The day around the peak load")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _panel(ax, result: ReplayResult, load: pd.Series, *, capacity: float, window) -> None:  # type: ignore[no-untyped-def]
    def cut(s: pd.Series) -> pd.Series:
        return s if window is None else s.loc[window[0] : window[1]]

    ax.plot(cut(load).index, cut(load).to_numpy(), color="black", lw=0.6, label="load")
    lead = result.startup_steps
    band = result.band["forecast"].shift(lead)  # the p-quantile forecast, drawn at its target time
    if band.notna().any():
        b = cut(band)
        ax.fill_between(
            b.index,
            0,
            b.to_numpy(),
            color="#1f77b4",
            alpha=0.15,
            step="post",
            label="forecast band (sized quantile)",
        )
    for name, requested in result.requested.items():
        ready = pd.Series(
            ready_replicas(requested, result.startup_steps) * capacity, index=result.index
        )
        r = cut(ready)
        ax.step(
            r.index,
            r.to_numpy(),
            where="post",
            lw=0.9,
            color=COLORS.get(name),
            label=f"{name}: ready capacity",
        )
    ax.set_ylabel("load")
    ax.set_ylim(
        bottom=0,
        top=float(np.nanmax(cut(load).to_numpy())) * 1.6 if cut(load).notna().any() else None,
    )
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    ax.grid(alpha=0.3)
