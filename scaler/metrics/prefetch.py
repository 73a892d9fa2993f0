"""`PrefetchedSource`: many targets' history windows read in a few requests, not one each.

A fleet retraining (``forescale train`` over thousands of targets) reads every target's whole
history window once. One request per target costs a round trip and a query evaluation each.
`MetricsSource.range_query_by` answers many series in one request, but only for a query grouped
by a label that names the target, and targets' queries are arbitrary PromQL. So the batch is made
of the queries themselves: each is tagged with its position by ``label_replace`` and the tagged
queries are joined with ``or``, which keeps every tagged series (their label sets differ by the
tag). The reply is one series per query, keyed by the tag, on the same step grid that
`range_query` uses: the same values, so a target trains on exactly what an unbatched read gives.

Whatever the batch does not answer is read alone, through the wrapped source, when asked: a query
with no data, several series (ambiguous), a query the union makes invalid (a bare scalar), a
refused or malformed batch. So every target ends with the series, or the error, of an unbatched
read. Only `MetricsUnavailable` of a batch propagates: Prometheus is down, and reading each query
alone would wait for it once per target.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pandas as pd

from forescale.scaler.errors import MetricsError, MetricsUnavailable
from forescale.scaler.metrics.base import MetricsSource

__all__ = ["BATCH_LABEL", "MAX_BATCH_CHARS", "PrefetchedSource", "union_query"]

log = logging.getLogger(__name__)

BATCH_LABEL = "forescale_batch_item"
"""The label that tags each query's series with its position in the batch."""

MAX_BATCH_CHARS = 6_000
"""Longest union sent in one request. Queries go in the URL of a GET; proxies in front of
Prometheus commonly refuse request lines over 8 KiB (nginx's default), and percent-encoding
lengthens PromQL's braces and quotes."""

_Key = tuple[str, datetime, datetime, timedelta]


def union_query(queries: Sequence[str]) -> str:
    """One PromQL expression answering every query, each series tagged ``BATCH_LABEL=<i>``."""
    return " or ".join(
        f'label_replace(({query}), "{BATCH_LABEL}", "{i}", "", "")'
        for i, query in enumerate(queries)
    )


class PrefetchedSource:
    """A `MetricsSource` answering the windows read ahead by `prefetch`; the rest from ``source``.

    ``requests`` counts the batch requests sent (the figure a fleet run is judged by)."""

    def __init__(self, source: MetricsSource, *, max_chars: int = MAX_BATCH_CHARS) -> None:
        self._source = source
        self._max_chars = max_chars
        self._read: dict[_Key, pd.Series] = {}
        self.batches = 0

    def prefetch(
        self, queries: Sequence[str], *, start: datetime, end: datetime, step: timedelta
    ) -> int:
        """Read ``queries`` over one window in as few batches as fit; how many were answered.

        Raises `MetricsUnavailable` when the backend cannot be reached (see the module)."""
        answered = 0
        for group in _groups(list(dict.fromkeys(queries)), self._max_chars):
            self.batches += 1
            try:
                got = self._source.range_query_by(
                    union_query(group), label=BATCH_LABEL, start=start, end=end, step=step
                )
            except MetricsUnavailable:
                raise
            except MetricsError as exc:  # each query of the group is read alone, when asked
                log.debug("batch of %d queries not answered whole (%s)", len(group), exc)
                continue
            for tag, series in got.items():
                if tag.isdigit() and int(tag) < len(group):
                    self._read[(group[int(tag)], start, end, step)] = series
                    answered += 1
        return answered

    def range_query(
        self, query: str, *, start: datetime, end: datetime, step: timedelta
    ) -> pd.Series:
        read = self._read.get((query, start, end, step))
        if read is not None:
            return read
        return self._source.range_query(query, start=start, end=end, step=step)

    def range_query_by(
        self, query: str, *, label: str, start: datetime, end: datetime, step: timedelta
    ) -> dict[str, pd.Series]:
        return self._source.range_query_by(query, label=label, start=start, end=end, step=step)


def _groups(queries: list[str], max_chars: int) -> Iterator[list[str]]:
    """Consecutive runs of ``queries`` whose union stays under ``max_chars`` (at least one
    query each: a query longer than the limit alone is still sent, as it would be unbatched)."""
    group: list[str] = []
    size = 0
    for query in queries:
        cost = len(query) + len(BATCH_LABEL) + 40  # the label_replace wrapper and " or "
        if group and size + cost > max_chars:
            yield group
            group, size = [], 0
        group.append(query)
        size += cost
    if group:
        yield group
