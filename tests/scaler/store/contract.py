"""The `RecordStore` contract, run against every store (memory, SQLite, PostgreSQL).

A store class inherits `StoreContract` and provides a ``store`` fixture; the in-memory twin is
honest because it passes exactly the same tests as the databases.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from forescale.scaler.controller.view import RecordStore
from forescale.scaler.domain import PlanStep
from forescale.scaler.records import AccuracyRecord, DecisionRecord, ForecastPoint, ForecastRecord

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def decision(target: str, at: datetime, **changes: Any) -> DecisionRecord:
    base = DecisionRecord(
        target=target, at=at, load=123.5, mode="predictive", mode_reason="forecast healthy",
        floor=12, desired=12, reactive=7, predictive=12, scheduled=None, current_replicas=7,
        model="auto-v3", quantile=0.9, forecast_peak=950.25, window_start=at + MINUTE,
        window_end=at + 5 * MINUTE,
        steps=(
            PlanStep(name="forecast", replicas=12, reason="floor 12 because p90 peak 950 at 12:05"),
            PlanStep(name="reactive", replicas=7, reason="HPA formula: 7"),
        ),
        action="raise", dry_run=False, error=None,
    )  # fmt: skip
    return replace(base, **changes)


def forecast(target: str, issued_at: datetime, n: int = 3) -> ForecastRecord:
    points = tuple(
        ForecastPoint(at=issued_at + k * MINUTE, mean=100.0 + k, lower=80.0 + k, upper=130.0 + k)
        for k in range(1, n + 1)
    )
    return ForecastRecord(
        target=target, issued_at=issued_at, model="auto-v3", quantile=0.9, points=points,
        notes=("calibrated on 60 live errors",),
    )  # fmt: skip


def accuracy(target: str, at: datetime) -> AccuracyRecord:
    return AccuracyRecord(
        target=target, at=at, horizon_seconds=300.0, scored=60, mae=12.5, relative_error=0.1,
        skill=0.7, under_rate=0.08, bias=None,
    )  # fmt: skip


class StoreContract:
    """Behaviour every `RecordStore` shares. Subclasses provide the ``store`` fixture."""

    def test_records_read_back_equal_to_what_was_written(self, store: RecordStore) -> None:
        d, f, a = (
            decision("shop/checkout", T0),
            forecast("shop/checkout", T0),
            accuracy("shop/checkout", T0),
        )
        store.record_decision(d)
        store.record_forecast(f)
        store.record_accuracy(a)
        window = {"start": T0, "end": T0 + MINUTE}
        assert list(store.decisions("shop/checkout", **window)) == [d]
        assert list(store.forecasts("shop/checkout", **window)) == [f]
        assert list(store.accuracy("shop/checkout", **window)) == [a]

    def test_times_in_other_zones_come_back_as_the_same_instant_in_utc(
        self, store: RecordStore
    ) -> None:
        berlin = timezone(timedelta(hours=1))
        store.record_decision(decision("shop/checkout", T0.astimezone(berlin)))
        (back,) = store.decisions("shop/checkout", start=T0, end=T0 + MINUTE)
        assert back.at == T0 and back.at.utcoffset() == timedelta(0)

    def test_a_range_is_half_open_and_per_target(self, store: RecordStore) -> None:
        for k in range(5):
            store.record_decision(decision("shop/checkout", T0 + k * MINUTE, floor=k))
            store.record_decision(decision("shop/cart", T0 + k * MINUTE))
        got = store.decisions("shop/checkout", start=T0 + MINUTE, end=T0 + 3 * MINUTE)
        assert [d.floor for d in got] == [1, 2]
        assert {d.target for d in got} == {"shop/checkout"}

    def test_decisions_page_in_time_order_whatever_the_insert_order(
        self, store: RecordStore
    ) -> None:
        for k in (3, 0, 4, 1, 2):
            store.record_decision(decision("shop/checkout", T0 + k * MINUTE, floor=k))
        end = T0 + 10 * MINUTE
        pages = [
            [
                d.floor
                for d in store.decisions("shop/checkout", start=T0, end=end, limit=2, offset=o)
            ]
            for o in (0, 2, 4, 6)
        ]
        assert pages == [[0, 1], [2, 3], [4], []]

    def test_records_at_the_same_time_keep_their_insertion_order(self, store: RecordStore) -> None:
        for floor in (5, 9, 7):
            store.record_decision(decision("shop/checkout", T0, floor=floor))
        got = store.decisions("shop/checkout", start=T0, end=T0 + MINUTE)
        assert [d.floor for d in got] == [5, 9, 7]

    def test_optional_fields_and_empty_steps_survive(self, store: RecordStore) -> None:
        bare = decision(
            "shop/checkout", T0, load=None, floor=None, predictive=None, current_replicas=None,
            model=None, quantile=None, forecast_peak=None, window_start=None, window_end=None,
            steps=(), action="error", error="prometheus: timeout after 10 s", mode="reactive",
        )  # fmt: skip
        store.record_decision(bare)
        assert list(store.decisions("shop/checkout", start=T0, end=T0 + MINUTE)) == [bare]

    def test_forecast_points_keep_microseconds_and_missing_bounds(self, store: RecordStore) -> None:
        at = T0 + timedelta(microseconds=123457)
        record = ForecastRecord(
            target="shop/checkout", issued_at=at, model="m", quantile=0.95,
            points=(ForecastPoint(at=at + MINUTE, mean=1e-9, lower=None, upper=None),),
        )  # fmt: skip
        store.record_forecast(record)
        assert list(store.forecasts("shop/checkout", start=T0, end=T0 + MINUTE)) == [record]

    def test_purge_removes_only_older_records_of_every_kind(self, store: RecordStore) -> None:
        for k in range(4):
            at = T0 + k * MINUTE
            store.record_decision(decision("shop/checkout", at))
            store.record_forecast(forecast("shop/checkout", at))
            store.record_accuracy(accuracy("shop/cart", at))
        assert store.purge(before=T0 + 2 * MINUTE) == 6
        end = T0 + 10 * MINUTE
        assert [d.at for d in store.decisions("shop/checkout", start=T0, end=end)] == [
            T0 + 2 * MINUTE,
            T0 + 3 * MINUTE,
        ]
        assert len(store.forecasts("shop/checkout", start=T0, end=end)) == 2
        assert len(store.accuracy("shop/cart", start=T0, end=end)) == 2
        assert store.purge(before=T0 + 2 * MINUTE) == 0

    @pytest.mark.parametrize(
        ("start", "end", "message"),
        [
            (T0.replace(tzinfo=None), T0, "start must be timezone-aware"),
            (T0, T0.replace(tzinfo=None), "end must be timezone-aware"),
            (T0 + MINUTE, T0, "is before start"),
        ],
    )
    def test_bad_ranges_are_refused_with_the_reason(
        self, store: RecordStore, start: datetime, end: datetime, message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            store.decisions("shop/checkout", start=start, end=end)
        with pytest.raises(ValueError, match=message):
            store.forecasts("shop/checkout", start=start, end=end)

    @pytest.mark.parametrize(("limit", "offset"), [(0, 0), (10_001, 0), (10, -1)])
    def test_bad_pages_are_refused(self, store: RecordStore, limit: int, offset: int) -> None:
        with pytest.raises(ValueError, match="limit|offset"):
            store.decisions("shop/checkout", start=T0, end=T0 + MINUTE, limit=limit, offset=offset)

    def test_a_naive_record_time_is_refused_rather_than_guessed(self, store: RecordStore) -> None:
        with pytest.raises(ValueError, match="naive|timezone-aware"):
            store.record_decision(decision("shop/checkout", T0.replace(tzinfo=None)))

    def test_non_finite_optional_numbers_read_back_as_missing(self, store: RecordStore) -> None:
        store.record_accuracy(
            AccuracyRecord(
                target="shop/checkout", at=T0, horizon_seconds=60.0, scored=0, mae=math.nan,
                relative_error=None, skill=math.inf, under_rate=None, bias=None,
            )
        )  # fmt: skip
        store.record_forecast(
            ForecastRecord(
                target="shop/checkout", issued_at=T0, model="m", quantile=0.9,
                points=(ForecastPoint(at=T0 + MINUTE, mean=math.inf, lower=math.nan, upper=1.0),),
            )
        )  # fmt: skip
        (back,) = store.accuracy("shop/checkout", start=T0, end=T0 + MINUTE)
        assert (back.mae, back.skill, back.scored) == (None, None, 0)
        ((point,),) = [
            f.points for f in store.forecasts("shop/checkout", start=T0, end=T0 + MINUTE)
        ]
        assert math.isnan(point.mean) and point.lower is None and point.upper == 1.0

    def test_the_loop_can_write_while_the_api_reads(self, store: RecordStore) -> None:
        def write(first: int) -> None:
            for k in range(first, first + 50):
                store.record_decision(decision("shop/checkout", T0 + k * MINUTE))

        writers = [threading.Thread(target=write, args=(i * 50,)) for i in range(3)]
        for w in writers:
            w.start()
        while any(w.is_alive() for w in writers):
            store.decisions("shop/checkout", start=T0, end=T0 + 200 * MINUTE, limit=500)
        for w in writers:
            w.join()
        got = store.decisions("shop/checkout", start=T0, end=T0 + 200 * MINUTE, limit=500)
        assert [d.at for d in got] == [T0 + k * MINUTE for k in range(150)]

    def test_a_pause_is_kept_until_resumed_and_pausing_twice_is_one_pause(
        self, store: RecordStore
    ) -> None:
        pauses: Any = store  # every store also keeps pauses (`scaler.controller.pauses`)
        assert pauses.paused_targets() == frozenset()
        pauses.set_pause("shop/web", True, by="operator token", at=T0)
        pauses.set_pause("shop/web", True, by="someone else", at=T0 + MINUTE)
        pauses.set_pause("shop/api", True, by="operator token", at=T0)
        pauses.set_pause("shop/api", False, by="operator token", at=T0 + MINUTE)
        pauses.set_pause("shop/never-paused", False, by="operator token", at=T0)
        assert pauses.paused_targets() == frozenset({"shop/web"})
