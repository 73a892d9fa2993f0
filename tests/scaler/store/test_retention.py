"""Retention: purges records older than the window, at most once per period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forescale.scaler.store import MemoryRecordStore, Retention
from tests.scaler.store.contract import MINUTE, T0, decision

DAY = timedelta(days=1)


def test_records_older_than_the_window_are_purged_and_newer_kept() -> None:
    store = MemoryRecordStore()
    for days in (20, 15, 13, 1):
        store.record_decision(decision("shop/checkout", T0 - days * DAY))
    assert Retention.days(store, 14).maybe_purge(T0) == 2
    kept = store.decisions("shop/checkout", start=T0 - 30 * DAY, end=T0)
    assert [T0 - d.at for d in kept] == [13 * DAY, 1 * DAY]


def test_the_purge_runs_at_most_once_per_period() -> None:
    store = MemoryRecordStore()
    retention = Retention(store, window=DAY, every=timedelta(hours=1))
    assert retention.maybe_purge(T0) == 0
    store.record_decision(decision("shop/checkout", T0 - 2 * DAY))
    assert retention.maybe_purge(T0 + 59 * MINUTE) is None
    assert retention.maybe_purge(T0 + 60 * MINUTE) == 1


@pytest.mark.parametrize("window", [timedelta(0), -DAY])
def test_a_window_that_is_not_positive_is_refused(window: timedelta) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Retention(MemoryRecordStore(), window=window)


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Retention.days(MemoryRecordStore(), 1).maybe_purge(T0.replace(tzinfo=None))
