"""HPA stabilization: the recommendation history and the rolling extremes over it.

Upstream keeps every recommendation of the window in a slice and scans it on each sync
(``stabilizeRecommendation[WithBehaviors]``, ported as reference functions below). A trace replay
calls the HPA hundreds of thousands of times, so `Hpa` uses `RollingExtreme` instead: a
monotonic deque, where a value that a newer, larger (smaller) value dominates can never be the
window's maximum (minimum) again and is dropped on push. Answers are identical to the scan (a
hypothesis test checks it), provided time never goes back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta

__all__ = ["RollingExtreme", "stabilize_recommendation", "stabilize_recommendation_legacy"]


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


def stabilize_recommendation(
    *,
    now: datetime,
    current_replicas: int,
    desired_replicas: int,
    history: Sequence[tuple[datetime, int]],
    scale_up_window: timedelta,
    scale_down_window: timedelta,
) -> int:
    """stabilizeRecommendationWithBehaviors: move from ``current`` only as far as every
    recommendation in the window agrees (up: the lowest of the up window, down: the highest
    of the down window). ``history`` holds earlier unstabilized recommendations."""
    up_cutoff, down_cutoff = now - scale_up_window, now - scale_down_window
    up_rec = down_rec = desired_replicas
    for at, rec in history:
        if at > up_cutoff:
            up_rec = min(rec, up_rec)
        if at > down_cutoff:
            down_rec = max(rec, down_rec)
    return min(max(current_replicas, up_rec), down_rec)


def stabilize_recommendation_legacy(
    *,
    now: datetime,
    desired_replicas: int,
    history: Sequence[tuple[datetime, int]],
    window: timedelta,
) -> int:
    """stabilizeRecommendation (no ``spec.behavior``): the highest recommendation not older than
    the window, the new one included. Samples exactly ``window`` old still count here."""
    cutoff = now - window
    return max([desired_replicas, *(rec for at, rec in history if not at < cutoff)])
