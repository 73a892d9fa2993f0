"""Reading whole time ranges out of a `RecordStore`, page by page."""

from __future__ import annotations

from collections.abc import Iterator

from forescale.scaler.controller.view import RecordStore
from forescale.scaler.records import DecisionRecord
from forescale.service.deps import TimeRange

__all__ = ["PAGE", "all_decisions"]

PAGE = 2000


def all_decisions(store: RecordStore, target: str, window: TimeRange) -> Iterator[DecisionRecord]:
    """Every decision of ``target`` in ``window``, oldest first."""
    offset = 0
    while True:
        page = store.decisions(
            target, start=window.start, end=window.end, limit=PAGE, offset=offset
        )
        yield from page
        if len(page) < PAGE:
            return
        offset += PAGE
