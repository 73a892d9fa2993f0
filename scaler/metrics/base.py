"""The one protocol through which the controller reads load: `MetricsSource`.

Implementations: `PrometheusSource` (the real one) and `FrameSource` (in memory, for tests,
notebooks, benchmarks and the demo). Every series returned is float64 on a regular tz-aware UTC
index at the asked step; steps with no sample are NaN (gaps are reported as gaps, never invented).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import pandas as pd

__all__ = ["MetricsSource"]


@runtime_checkable
class MetricsSource(Protocol):
    def range_query(
        self, query: str, *, start: datetime, end: datetime, step: timedelta
    ) -> pd.Series:
        """One series for ``query`` over ``[start, end]`` at ``step``.

        Raises `EmptyResult` (no series), `AmbiguousResult` (several series), `QueryError` (the
        backend refused the query) or `MetricsUnavailable` (unreachable, too slow).
        """
        ...

    def range_query_by(
        self, query: str, *, label: str, start: datetime, end: datetime, step: timedelta
    ) -> dict[str, pd.Series]:
        """Many series in one request, keyed by the value of ``label`` (a ``by (label)`` query).

        A controller with 1,000 targets sends one of these per cycle, not 1,000 queries.
        """
        ...
