"""The recommendation history behind HPA stabilization, in O(1) amortised time per sync.

Upstream keeps every recommendation of the window in a slice and scans it on each sync. A trace
replay calls the HPA hundreds of thousands of times, so `RollingExtreme` keeps a monotonic deque
instead: a value that a newer, larger (smaller) value dominates can never be the window's
maximum (minimum) again, so it is dropped on push. Answers are identical to the scan (a
hypothesis test checks this against `stabilize_recommendation`), provided time never goes back.
"""

from __future__ import annotations

from collections import deque

__all__ = ["RollingExtreme"]


class RollingExtreme:
    """Max (``highest=True``) or min of the values pushed within a sliding time window.

    ``strict``: a sample exactly ``window`` old is out (upstream's ``timestamp.After(cutoff)``);
    otherwise it is still in (the legacy path's ``!timestamp.Before(cutoff)``).
    """

    __slots__ = ("_highest", "_items", "_strict", "_window_us")

    def __init__(self, *, window_us: int, highest: bool, strict: bool = True) -> None:
        if window_us < 0:
            raise ValueError(f"window must be >= 0 microseconds, got {window_us}")
        self._window_us = window_us
        self._highest = highest
        self._strict = strict
        self._items: deque[tuple[int, int]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def extreme(self, now_us: int) -> int | None:
        """The extreme of the samples still in the window at ``now_us`` (None if there are none)."""
        items = self._items
        cutoff = now_us - self._window_us
        if self._strict:
            while items and items[0][0] <= cutoff:
                items.popleft()
        else:
            while items and items[0][0] < cutoff:
                items.popleft()
        return items[0][1] if items else None

    def push(self, now_us: int, value: int) -> None:
        """Record ``value`` at ``now_us`` (times must not decrease)."""
        items = self._items
        if self._highest:
            while items and items[-1][1] <= value:
                items.pop()
        else:
            while items and items[-1][1] >= value:
                items.pop()
        items.append((now_us, value))
