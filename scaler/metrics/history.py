"""Warm start: a target's load history read from the metrics backend, not collected by waiting.

A controller that starts (or a workload that is renamed or redeployed) should not wait days to
forecast again: Prometheus already holds the history. `load_history` reads the window through any
`MetricsSource` and, when the target's current selector has no data for the early part of the
window, fills that part from an older selector (``history_query``): the AWS blue/green problem
("a new group needs 24 h of history") solved by stitching.

Stitching rule, chosen to never blend two workloads: the current query owns the window from its
first real sample onwards (its later gaps stay gaps); the older query fills only the time before.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from forescale.scaler.errors import EmptyResult
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.metrics.prom_grid import Grid
from forescale.scaler.metrics.prometheus import PrometheusSource
from forescale.scaler.units import parse_duration

__all__ = ["load_history", "series_from_prometheus"]

log = logging.getLogger(__name__)


def load_history(
    source: MetricsSource,
    *,
    query: str,
    start: datetime,
    end: datetime,
    step: timedelta,
    history_query: str | None = None,
) -> pd.Series:
    """One regular UTC float series over ``[start, end]`` at ``step``; missing steps are NaN.

    Raises `EmptyResult` only when neither query has data in the window; `AmbiguousResult`,
    `QueryError` and `MetricsUnavailable` pass through from the source.
    """
    grid = Grid.covering(start=start, end=end, step=step).index()
    if history_query is None:
        only = source.range_query(query, start=start, end=end, step=step)
        return _on_grid(only, grid, name=query)
    current = _optional(source, query, start=start, end=end, step=step)
    cutover = _first_sample(current)
    if cutover is not None and cutover <= grid[0]:
        return _on_grid(current, grid, name=query)  # the older selector would not be used
    older_end = end if cutover is None else (cutover - step).to_pydatetime()
    older = _optional(source, history_query, start=start, end=older_end, step=step)
    if current is None and older is None:
        raise EmptyResult(
            f"neither {query!r} nor its history_query {history_query!r} has data between "
            f"{start.isoformat()} and {end.isoformat()}"
        )
    result = _on_grid(current, grid, name=query)
    if older is not None:
        before = grid < cutover if cutover is not None else np.ones(len(grid), dtype=bool)
        result[before] = _on_grid(older, grid, name=query)[before]
        log.info("history of %r stitched from %r before %s", query, history_query, cutover)
    return result


def series_from_prometheus(
    url: str,
    query: str,
    *,
    range_: str | timedelta,
    step: str | timedelta,
    now: datetime,
    history_query: str | None = None,
    timeout: float = 30.0,
) -> pd.Series:
    """``forescale backtest --prometheus URL --query Q --range 14d --step 1m`` in one call.

    ``range_`` and ``step`` take durations like ``14d`` and ``1m``; the window ends at ``now``
    rounded down to a multiple of ``step`` (as Grafana aligns its queries), so two runs sample
    the same instants of the series and score alike, and a 5-minute step reads the samples at
    :00, :05, ... as a CSV exported at 5 minutes would hold them.
    """
    window = parse_duration(range_) if isinstance(range_, str) else range_
    resolution = parse_duration(step) if isinstance(step, str) else step
    end = pd.Timestamp(now).floor(pd.Timedelta(resolution)).to_pydatetime()
    with PrometheusSource.from_url(url, timeout=timeout) as source:
        return load_history(
            source,
            query=query,
            start=end - window,
            end=end,
            step=resolution,
            history_query=history_query,
        )


def _optional(
    source: MetricsSource,
    query: str,
    *,
    start: datetime,
    end: datetime,
    step: timedelta,
) -> pd.Series | None:
    """The query's series, or None for "no data" (the other selector may have some)."""
    try:
        return source.range_query(query, start=start, end=end, step=step)
    except EmptyResult:
        return None


def _first_sample(series: pd.Series | None) -> pd.Timestamp | None:
    if series is None:
        return None
    valid = series.notna().to_numpy().nonzero()[0]
    return pd.Timestamp(series.index[valid[0]]) if len(valid) else None


def _on_grid(series: pd.Series | None, grid: pd.DatetimeIndex, *, name: str) -> pd.Series:
    if series is None:
        return pd.Series(np.full(len(grid), np.nan), index=grid, name=name)
    out = series.astype(np.float64).reindex(grid)
    out.name = name
    return out
