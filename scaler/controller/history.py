"""`LoadHistory`: one target's load series, fetched incrementally and kept to its window.

The first fetch reads the whole window (a warm start: Prometheus already holds the history);
later ones read only what is new since the newest sample.

The samples live in one float64 numpy buffer on the target's step grid (NaN where there is no
sample), not in a pandas Series: a Series with its DatetimeIndex costs twice the memory (the
index is another 8 bytes a step), and concatenating, trimming and scanning one every cycle was
most of a steady cycle's cost (issue 14: 2.8 of 5.5 ms per target under the profiler). Every
metrics source answers on that grid (`FrameSource`, `PrometheusSource` and `load_history` all
reindex to it), so the buffer holds exactly what the concatenated Series held. float64, not
float32: the model sees these values, and decisions must stay exactly what they were.

Published samples are never changed in place: new samples go into slots past the newest
(unused until then), trimming only moves the start, and an overlapping re-read builds a new
buffer. A reader holding an older view (a fit running outside the target's lock, the API) thus
always sees a consistent series. `series` builds a pandas Series on demand, for the rare
readers that want one (fits, tuning, the API); the cycle itself uses the array methods.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import cast

import numpy as np
import pandas as pd

from forescale.models.base import TimeUnit, grid_series
from forescale.scaler.domain import TargetSpec
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.metrics.history import load_history

__all__ = ["NS_PER_UNIT", "WARM_TAIL", "LoadHistory", "utc_datetime"]

WARM_TAIL = 500
"""Samples of a freshly loaded history fed to the policy (enough for its running level)."""

_UTC = "UTC"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
"""Nanoseconds per unit of a DatetimeIndex's ``asi8``."""


def utc_datetime(ns: int) -> datetime:
    """A UTC datetime from ns since the epoch (to the microsecond, as ``to_pydatetime``)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _epoch_ns(at: datetime) -> int:
    """``pd.Timestamp(at).value`` by integer arithmetic (the Timestamp was a cost per cycle)."""
    if isinstance(at, pd.Timestamp):
        return int(at.as_unit("ns").value)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # pandas reads a naive time as UTC
    return (at - _EPOCH) // timedelta(microseconds=1) * 1000


class LoadHistory:
    def __init__(self, spec: TargetSpec) -> None:
        self._spec = spec
        self._step_ns = int(pd.Timedelta(spec.step).value)
        self._history_ns = int(pd.Timedelta(spec.history).value)
        self._window = max(1, int(spec.history / spec.step))
        self._slack = max(64, self._window // 64)
        """Spare slots past the window (1.6 %): a new buffer (one copy of the window) every
        this many appended steps (10.5 hours at 1 minute over 28 days), not every cycle."""
        self._buf = np.empty(0, dtype=np.float64)
        self._lo = self._hi = 0
        self._start_ns = 0
        """The timestamp (ns since the epoch, UTC) of ``_buf[_lo]``."""
        self._unit: TimeUnit = "ns"
        self._name: object = None

    # -- what readers see ----------------------------------------------------------------------
    @property
    def empty(self) -> bool:
        return self._hi == self._lo

    @property
    def values(self) -> np.ndarray:
        """The held samples on the step grid (NaN gaps), oldest first; a read-only view."""
        view = self._buf[self._lo : self._hi]
        view.flags.writeable = False
        return view

    @property
    def series(self) -> pd.Series:
        """The held samples as a regular UTC Series (NaN gaps); a new object on every call."""
        return self._as_series(0)

    @series.setter
    def series(self, series: pd.Series) -> None:
        """Hold ``series`` (regular, on this target's grid) instead (an edited spec keeps the
        history it has)."""
        self._buf = np.empty(0, dtype=np.float64)
        self._lo = self._hi = 0
        if not series.empty:
            self._place(series)

    def fetch(self, source: MetricsSource, *, now: datetime) -> pd.Series | None:
        """New samples since the newest held (the whole window when none is held); I/O only,
        nothing changes here (`merge` keeps them)."""
        spec, step = self._spec, self._spec.step
        end_ns = _epoch_ns(now) // self._step_ns * self._step_ns  # as Timestamp.floor(step)
        end = utc_datetime(end_ns)
        if self.empty:
            return load_history(
                source, query=spec.query, start=end - spec.history, end=end, step=step,
                history_query=spec.history_query,
            )  # fmt: skip
        start_ns = self._start_ns + (self._hi - self._lo) * self._step_ns
        if start_ns > end_ns:
            return None
        return source.range_query(spec.query, start=utc_datetime(start_ns), end=end, step=step)

    def merge(
        self, fresh: pd.Series | None, *, now: datetime
    ) -> list[tuple[datetime, float | None]]:
        """Keep ``fresh`` (newest values win where it overlaps), trimmed to the window; the
        samples to feed the policy, None for gaps. Of a warm start only the last `WARM_TAIL`:
        nothing was forecast for the loaded history, and converting 40,000 samples to Python
        objects one by one was the whole cost of a warm start."""
        if fresh is None or fresh.empty:
            return []
        warm = self.empty
        self._place(fresh)
        end_ns = _epoch_ns(now) // self._step_ns * self._step_ns  # as Timestamp.floor(step)
        cutoff_ns = end_ns - self._history_ns
        drop = (cutoff_ns - self._start_ns) // self._step_ns + 1  # slots at or before it
        if drop > 0:
            drop = min(drop, self._hi - self._lo)
            self._lo += drop
            self._start_ns += drop * self._step_ns
        if warm:
            fresh = fresh.iloc[-WARM_TAIL:]
        index = cast(pd.DatetimeIndex, fresh.index)
        stamps = (index.asi8 * NS_PER_UNIT[index.unit]).tolist()
        values = fresh.to_numpy(dtype=float).tolist()
        return [
            (utc_datetime(ns), v if math.isfinite(v) else None)
            for ns, v in zip(stamps, values, strict=True)
        ]

    def latest(self) -> float | None:
        """The newest sample that is not a gap (None: none held)."""
        pos = self._newest_observed()
        return None if pos is None else float(self._buf[pos])

    def newest_sample(self) -> tuple[datetime, float] | None:
        pos = self._newest_observed()
        if pos is None:
            return None
        return self._timestamp(pos - self._lo).to_pydatetime(), float(self._buf[pos])

    def observed(self) -> int:
        """Samples held that are not gaps."""
        held = self._buf[self._lo : self._hi]
        return int(held.size - np.count_nonzero(np.isnan(held)))

    def since(self, end: pd.Timestamp | None) -> pd.Series:
        """The observations at and after ``end`` (a model's training end; None: all): a fitted
        model keeps what it needs of older history, so the cheap update sees only what is
        new."""
        return self.series if end is None else self._as_series(self._offset(end))

    def recent(self, end: pd.Timestamp | None) -> tuple[np.ndarray, int]:
        """`since` as (a read-only view of the values, the first one's time in ns): what the
        cheap update reads every cycle, without building a Series."""
        offset = 0 if end is None else self._offset(end)
        return self.values[offset:], self._start_ns + offset * self._step_ns

    # -- pieces ------------------------------------------------------------------------------
    def _offset(self, at: pd.Timestamp) -> int:
        """Held steps before ``at`` (where a Series' ``searchsorted(at)`` would land)."""
        offset = -(-(int(pd.Timestamp(at).value) - self._start_ns) // self._step_ns)  # ceil
        return min(max(offset, 0), self._hi - self._lo)

    def _timestamp(self, offset: int) -> pd.Timestamp:
        at = pd.Timestamp(self._start_ns + offset * self._step_ns, tz=_UTC)
        return at.as_unit(self._unit)

    def _as_series(self, offset: int) -> pd.Series:
        first = self._start_ns + offset * self._step_ns
        series = grid_series(
            self._buf[self._lo + offset : self._hi], start_ns=first, step_ns=self._step_ns,
            unit=self._unit,
        )  # fmt: skip
        series.name = self._name
        return series

    def _newest_observed(self) -> int | None:
        """Buffer position of the newest non-gap sample, looking at the tail first."""
        hi, lo = self._hi, self._lo
        if hi > lo and not math.isnan(self._buf[hi - 1]):
            return hi - 1  # the steady case: the newest step has a sample
        tail = max(lo, hi - 64)
        for start in (tail, lo):
            found = np.flatnonzero(~np.isnan(self._buf[start:hi]))
            if found.size:
                return start + int(found[-1])
            hi = tail
        return None

    def _place(self, fresh: pd.Series) -> None:
        """Write ``fresh`` onto the grid; into unused slots when it only adds newer steps (the
        steady cycle), else into a new buffer."""
        index = cast(pd.DatetimeIndex, fresh.index)
        stamps = index.asi8 * NS_PER_UNIT[index.unit]
        values = fresh.to_numpy(dtype=np.float64)
        if self.empty:
            self._unit, self._name = index.unit, fresh.name
            self._start_ns = int(stamps[0])  # the grid the source answered on
            self._buf = np.empty(0, dtype=np.float64)
            self._lo = self._hi = 0
        elif fresh.name != self._name:
            self._name = None  # as pd.concat names a mix of names
        offsets = (stamps - self._start_ns) // self._step_ns
        held = self._hi - self._lo
        if int(offsets.min()) >= held:  # only newer steps: append in place
            needed = int(offsets.max()) + 1
            if self._lo + needed > self._buf.size:
                self._grow(needed)
            self._buf[self._hi : self._lo + needed] = np.nan
            self._buf[self._lo + offsets] = values
            self._hi = self._lo + needed
            return
        first = min(0, int(offsets.min()))  # an overlapping (or older) answer: a new buffer
        size = max(held, int(offsets.max()) + 1) - first
        out = np.full(size + self._slack, np.nan)
        out[-first : -first + held] = self._buf[self._lo : self._hi]
        out[offsets - first] = values
        self._buf, self._lo, self._hi = out, 0, size
        self._start_ns += first * self._step_ns

    def _grow(self, needed: int) -> None:
        """A new buffer with room for ``needed`` steps and the slack after them."""
        held = self._hi - self._lo
        out = np.empty(max(needed, self._window) + self._slack, dtype=np.float64)
        out[:held] = self._buf[self._lo : self._hi]
        self._buf, self._lo, self._hi = out, 0, held
