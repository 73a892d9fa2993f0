"""`FrameSource`: the honest in-memory twin of a metrics backend.

Holds series by query string and answers range queries the way Prometheus would: only samples in
``[start, end]``, on the asked step grid, NaN where there is no sample, `EmptyResult` when nothing
matches. A ``now`` callable can hide the future so a replay can never peek ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from forescale.scaler.errors import EmptyResult, MetricsUnavailable

__all__ = ["FrameSource"]


class FrameSource:
    def __init__(
        self,
        series: Mapping[str, pd.Series] | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._series: dict[str, pd.Series] = dict(series or {})
        self._now = now
        self.calls = 0
        self.fail_next = 0
        """Number of upcoming calls that raise `MetricsUnavailable` (outage injection)."""

    def put(self, query: str, series: pd.Series) -> None:
        self._series[query] = series

    def range_query(
        self, query: str, *, start: datetime, end: datetime, step: timedelta
    ) -> pd.Series:
        self._tick()
        if query not in self._series:
            raise EmptyResult(f"query {query!r} returned no series")
        return self._window(self._series[query], start=start, end=end, step=step)

    def range_query_by(
        self, query: str, *, label: str, start: datetime, end: datetime, step: timedelta
    ) -> dict[str, pd.Series]:
        """Answers for every stored query of the form ``{query}|{label}={value}``."""
        self._tick()
        prefix = f"{query}|{label}="
        out = {
            key[len(prefix) :]: self._window(s, start=start, end=end, step=step)
            for key, s in self._series.items()
            if key.startswith(prefix)
        }
        if not out:
            raise EmptyResult(f"query {query!r} by {label!r} returned no series")
        return out

    def _tick(self) -> None:
        self.calls += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            raise MetricsUnavailable("injected outage: metrics backend unreachable")

    def _window(
        self, s: pd.Series, *, start: datetime, end: datetime, step: timedelta
    ) -> pd.Series:
        if self._now is not None:
            end = min(end, self._now())
        fast = self._contiguous(s, start=start, end=end, step=step)
        if fast is not None:
            return fast
        start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
        grid = pd.date_range(start_ts.ceil(step), end_ts.floor(step), freq=step, tz="UTC")
        if len(grid) == 0:
            return pd.Series(np.array([], dtype=float), index=grid)
        lo = s.index.searchsorted(grid[0], side="left")
        hi = s.index.searchsorted(grid[-1], side="right")
        part = s.iloc[lo:hi]
        if len(part) == len(grid) and part.index.equals(grid):
            return part.astype(float)
        return part.reindex(grid).astype(float)

    def _contiguous(
        self, s: pd.Series, *, start: datetime, end: datetime, step: timedelta
    ) -> pd.Series | None:
        """The common answer without building a grid: when the stored series holds every step
        of the asked window, its slice (what `_window`'s slow path returns then, too). A
        controller asks each target for its newest step every cycle; building the grid and
        comparing indexes with pandas was most of the in-memory twin's cost. None: take the
        slow path."""
        index = s.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None or len(index) == 0:
            return None
        step_ns = pd.Timedelta(step).value
        first = -(-pd.Timestamp(start).value // step_ns) * step_ns  # ceil(step)
        last = pd.Timestamp(end).value // step_ns * step_ns  # floor(step)
        if last < first:
            return None
        per = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[index.unit]
        if first % per or step_ns % per:
            return None
        stamps = index.asi8
        lo = int(np.searchsorted(stamps, first // per, side="left"))
        count = (last - first) // step_ns + 1
        hi = lo + count
        if hi > len(stamps) or stamps[lo] != first // per or stamps[hi - 1] != last // per:
            return None
        if hi < len(stamps) and stamps[hi] == stamps[hi - 1]:
            return None  # a duplicate timestamp: the slow path says what is wrong
        if count > 1 and not (np.diff(stamps[lo:hi]) == step_ns // per).all():
            return None
        return s.iloc[lo:hi].astype(float)
