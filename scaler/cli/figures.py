"""The one table of replay figures, printed by ``forescale simulate`` and ``forescale demo``.

Both name the policies alike (``predictive``: Forescale; ``reactive``: the HPA alone; ``oracle``:
perfect foresight) and print the same columns in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forescale.scaler.simulate.workload import Figures

__all__ = ["COLUMNS", "format_figures"]

COLUMNS = ("policy", "under-provisioned %", "unserved load %", "replica-hours", "scale events")


def format_figures(figures: Mapping[str, Figures], *, indent: str = "") -> str:
    rows = [COLUMNS]
    for name, f in figures.items():
        rows.append((
            name, f"{f.under_provisioned_pct:.2f}", f"{f.unserved_load_pct:.3f}",
            f"{f.replica_hours:,.1f}", f"{f.scale_events:,}",
        ))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = [
        indent + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                           for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
        for row in rows
    ]  # fmt: skip
    lines.insert(1, indent + "-" * (len(lines[0]) - len(indent)))
    return "\n".join(lines)
