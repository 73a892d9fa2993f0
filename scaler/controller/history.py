"""`LoadHistory`: one target's load series, fetched incrementally and kept to its window.

The first fetch reads the whole window (a warm start: Prometheus already holds the history);
later ones read only what is new since the newest sample. The series is replaced whole on every
merge, never changed in place, so a reader holding the old one (the API, a fit running outside
the target's lock) sees a consistent series.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from forescale.scaler.domain import TargetSpec
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.metrics.history import load_history

__all__ = ["WARM_TAIL", "LoadHistory"]

WARM_TAIL = 500
"""Samples of a freshly loaded history fed to the policy (enough for its running level)."""


class LoadHistory:
    def __init__(self, spec: TargetSpec) -> None:
        self._spec = spec
        self.series = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))

    @property
    def empty(self) -> bool:
        return self.series.empty

    def fetch(self, source: MetricsSource, *, now: datetime) -> pd.Series | None:
        """New samples since the newest held (the whole window when none is held); I/O only,
        nothing changes here (`merge` keeps them)."""
        spec, step = self._spec, self._spec.step
        end = pd.Timestamp(now).floor(step).to_pydatetime()
        held = self.series
        if held.empty:
            return load_history(
                source, query=spec.query, start=end - spec.history, end=end, step=step,
                history_query=spec.history_query,
            )  # fmt: skip
        start = held.index[-1].to_pydatetime() + step
        if start > end:
            return None
        return source.range_query(spec.query, start=start, end=end, step=step)

    def merge(
        self, fresh: pd.Series | None, *, now: datetime
    ) -> list[tuple[datetime, float | None]]:
        """Keep ``fresh`` (newest values win where it overlaps), trimmed to the window; the
        samples to feed the policy, None for gaps. Of a warm start only the last `WARM_TAIL`:
        nothing was forecast for the loaded history, and converting 40,000 samples to Python
        objects one by one was the whole cost of a warm start."""
        if fresh is None or fresh.empty:
            return []
        held = self.series
        warm = held.empty
        fresh = fresh.astype(float)
        if warm or fresh.index[0] > held.index[-1]:
            combined = fresh if warm else pd.concat([held, fresh])
        else:  # overlapping answer (e.g. a re-read window)
            combined = pd.concat([held, fresh])
            combined = combined[~combined.index.duplicated(keep="last")].sort_index()
        cutoff = pd.Timestamp(now).floor(self._spec.step) - pd.Timedelta(self._spec.history)
        if combined.index[0] <= cutoff:
            combined = combined.loc[combined.index > cutoff]
        self.series = combined
        if warm:
            fresh = fresh.iloc[-WARM_TAIL:]
        values = fresh.to_numpy(dtype=float)
        return [
            (ts.to_pydatetime(), None if not np.isfinite(v) else float(v))
            for ts, v in zip(fresh.index, values, strict=True)
        ]

    def latest(self) -> float | None:
        finite = self.series.dropna()
        return None if finite.empty else float(finite.iloc[-1])

    def newest_sample(self) -> tuple[datetime, float] | None:
        finite = self.series.dropna()
        if finite.empty:
            return None
        return finite.index[-1].to_pydatetime(), float(finite.iloc[-1])

    def observed(self) -> int:
        return int(self.series.notna().sum())

    def since(self, end: pd.Timestamp | None) -> pd.Series:
        """The observations after a model's training data ended (``end``; None: all): a fitted
        model keeps what it needs of older history, so the cheap update sees only what is new."""
        if end is None:
            return self.series
        start = int(self.series.index.searchsorted(end))
        recent: pd.Series = self.series.iloc[start:]
        return recent
