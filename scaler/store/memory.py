"""`MemoryRecordStore`: the in-memory twin of `SqlRecordStore` (tests, the demo, no ``store.url``).

Same semantics as the SQL store, checked by the same contract tests: half-open time ranges, results
in time order (ties in insertion order), the same argument checks, purge by record time, and
non-finite numbers cleaned the way the databases store them (`codec.clean_decision`). Records are
frozen, so they are kept and returned as they are. Thread-safe: the control loop writes while
the API reads.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Generic, TypeVar

from forescale.scaler.records import AccuracyRecord, DecisionRecord, ForecastRecord
from forescale.scaler.store.codec import clean_accuracy, clean_decision, clean_forecast
from forescale.scaler.store.query import check_page, check_range, check_time

__all__ = ["MemoryRecordStore"]

R = TypeVar("R", DecisionRecord, ForecastRecord, AccuracyRecord)


class _Series(Generic[R]):
    """Records of one kind, per target, sorted by (time, insertion number)."""

    def __init__(self, when: Callable[[R], datetime]) -> None:
        self._when: Callable[[R], datetime] = when
        self._keys: dict[str, list[tuple[datetime, int]]] = {}
        self._items: dict[str, list[R]] = {}

    def add(self, record: R, seq: int) -> None:
        key = (check_time(self._when(record), "record time"), seq)
        keys = self._keys.setdefault(record.target, [])
        index = bisect.bisect_right(keys, key)
        keys.insert(index, key)
        self._items.setdefault(record.target, []).insert(index, record)

    def between(self, target: str, start: datetime, end: datetime) -> list[R]:
        keys = self._keys.get(target, [])
        low = bisect.bisect_left(keys, (start, -1))
        high = bisect.bisect_left(keys, (end, -1))
        return self._items.get(target, [])[low:high]

    def purge(self, before: datetime) -> int:
        removed = 0
        for target, keys in list(self._keys.items()):
            cut = bisect.bisect_left(keys, (before, -1))
            removed += cut
            del keys[:cut], self._items[target][:cut]
            if not keys:
                del self._keys[target], self._items[target]
        return removed


class MemoryRecordStore:
    """Decisions, forecasts and accuracy in process memory (lost on restart)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._decisions: _Series[DecisionRecord] = _Series(lambda r: r.at)
        self._forecasts: _Series[ForecastRecord] = _Series(lambda r: r.issued_at)
        self._accuracy: _Series[AccuracyRecord] = _Series(lambda r: r.at)
        self._pauses: set[str] = set()

    def record_decision(self, record: DecisionRecord) -> None:
        with self._lock:
            self._decisions.add(clean_decision(record), next(self._seq))

    def record_forecast(self, record: ForecastRecord) -> None:
        with self._lock:
            self._forecasts.add(clean_forecast(record), next(self._seq))

    def record_accuracy(self, record: AccuracyRecord) -> None:
        with self._lock:
            self._accuracy.add(clean_accuracy(record), next(self._seq))

    def set_pause(self, target: str, paused: bool, *, by: str, at: datetime) -> None:  # noqa: ARG002
        """Pause or resume ``target`` (kept as long as the process: nothing else shares it)."""
        check_time(at, "at")
        with self._lock:
            (self._pauses.add if paused else self._pauses.discard)(target)

    def paused_targets(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._pauses)

    def decisions(
        self, target: str, *, start: datetime, end: datetime, limit: int = 100, offset: int = 0
    ) -> Sequence[DecisionRecord]:
        start, end = check_range(start, end)
        check_page(limit, offset)
        with self._lock:
            return self._decisions.between(target, start, end)[offset : offset + limit]

    def forecasts(self, target: str, *, start: datetime, end: datetime) -> Sequence[ForecastRecord]:
        start, end = check_range(start, end)
        with self._lock:
            return self._forecasts.between(target, start, end)

    def accuracy(self, target: str, *, start: datetime, end: datetime) -> Sequence[AccuracyRecord]:
        start, end = check_range(start, end)
        with self._lock:
            return self._accuracy.between(target, start, end)

    def purge(self, *, before: datetime) -> int:
        before = check_time(before, "before")
        with self._lock:
            return sum(s.purge(before) for s in (self._decisions, self._forecasts, self._accuracy))
