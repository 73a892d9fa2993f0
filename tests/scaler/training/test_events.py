"""Known events: parsed and validated like the CRD, floors through scheduled floors, and every
model corrected by the calendar (history normalised before fits, forecasts scaled)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forescale.models.base import Forecast
from forescale.scaler.config import parse_target
from forescale.scaler.config.targets import EventModel
from forescale.scaler.domain import KnownEvent
from forescale.scaler.errors import ConfigError
from forescale.scaler.forecasting.engine import TargetForecaster
from forescale.scaler.forecasting.events import EventCalendar
from tests.integration.kube.objects import pa_manifest
from tests.integration.kube.schema import crd_errors, crd_schema

SALE = KnownEvent(
    name="sale",
    start=datetime(2026, 11, 27, 10, tzinfo=UTC),
    end=datetime(2026, 11, 27, 12, tzinfo=UTC),
    multiplier=3.0,
)


def with_events(*events: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(pa_manifest("checkout"))
    document["spec"]["events"] = list(events)
    return document


def test_a_date_is_a_whole_day_in_its_timezone_and_a_floor_becomes_a_scheduled_floor() -> None:
    spec = parse_target(with_events(
        {"name": "christmas", "date": "2026-12-25", "timezone": "Europe/Berlin",
         "multiplier": 0.4},
        {"name": "launch", "start": "2026-10-01T16:00:00Z", "end": "2026-10-01T20:00:00Z",
         "minReplicas": 12},
    )).to_domain()  # fmt: skip

    christmas, launch = spec.events
    assert (christmas.start, christmas.end) == (
        datetime(2026, 12, 24, 23, tzinfo=UTC), datetime(2026, 12, 25, 23, tzinfo=UTC))  # fmt: skip
    assert christmas.multiplier == 0.4 and launch.min_replicas == 12
    (floor,) = spec.policy.scheduled_floors
    assert floor.name == "event launch" and floor.min_replicas == 12
    assert floor.is_active(datetime(2026, 10, 1, 19, 59, tzinfo=UTC))
    assert not floor.is_active(datetime(2026, 10, 1, 20, tzinfo=UTC))


INVALID: dict[str, dict[str, Any]] = {
    "date and window at once": {"name": "x", "date": "2026-12-25", "start": "2026-12-25T00:00:00Z",
                                "end": "2026-12-26T00:00:00Z", "multiplier": 2},
    "neither date nor window": {"name": "x", "multiplier": 2},
    "start without end": {"name": "x", "start": "2026-12-25T00:00:00Z", "multiplier": 2},
    "no multiplier and no floor": {"name": "x", "date": "2026-12-25"},
    "zero multiplier": {"name": "x", "date": "2026-12-25", "multiplier": 0},
    "negative floor": {"name": "x", "date": "2026-12-25", "minReplicas": -1},
    "unknown field": {"name": "x", "date": "2026-12-25", "multiplier": 2, "factor": 2},
}  # fmt: skip


@pytest.mark.parametrize("event", INVALID.values(), ids=INVALID.keys())
def test_invalid_events_are_refused_by_both_the_parser_and_the_crd(event: dict[str, Any]) -> None:
    document = with_events(event)
    with pytest.raises(ConfigError, match="events"):
        parse_target(document)
    assert crd_errors(document, strict=True) != []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"name": "x", "start": "2026-12-26T00:00:00Z", "end": "2026-12-25T00:00:00Z",
          "multiplier": 2}, "start < end"),
        ({"name": "x", "date": "2026-12-25", "timezone": "Mars/Olympus", "multiplier": 2},
         "unknown timezone"),
    ],
)  # fmt: skip
def test_what_the_crd_cannot_express_the_parser_explains(
    event: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_target(with_events(event))


def test_the_crd_declares_the_same_event_fields_as_the_parser() -> None:
    node = crd_schema()["properties"]["spec"]["properties"]["events"]["items"]
    fields = EventModel.model_fields
    assert set(node["properties"]) == {f.alias or name for name, f in fields.items()}
    assert set(node["required"]) == {f.alias or n for n, f in fields.items() if f.is_required()}


def test_the_calendar_scales_forecasts_inside_an_event_and_divides_it_out_of_history() -> None:
    index = pd.date_range("2026-11-27T09:00Z", periods=5, freq="1h")
    ad = KnownEvent(name="ad", start=SALE.start, end=SALE.start + timedelta(hours=1), multiplier=2)
    calendar = EventCalendar([SALE, ad])
    assert calendar.factors(index).tolist() == [1, 6, 3, 1, 1]  # type: ignore[union-attr]
    history = pd.Series([10.0, 60.0, 30.0, 10.0, 10.0], index=index)
    assert calendar.normalise(history).tolist() == [10.0] * 5

    forecast = Forecast(index=index, mean=np.full(5, 10.0), quantiles={0.9: np.full(5, 20.0)},
                        model="level")  # fmt: skip
    scaled = calendar.apply(forecast)
    assert scaled.mean.tolist() == [10, 60, 30, 10, 10]
    assert scaled.quantile(0.9).tolist() == [20, 120, 60, 20, 20]
    assert "event 'sale' x3" in scaled.notes[-1]
    assert EventCalendar().apply(forecast) is forecast  # no events: nothing to do


def test_a_model_neither_repeats_a_past_event_nor_misses_a_coming_one() -> None:
    """Flat load of 100 with last Friday's sale (x3) in the history: yesterday-repeating
    seasonal naive forecasts 100 the day after, and 300 inside the coming sale."""
    index = pd.date_range("2026-11-24T00:00Z", "2026-11-27T00:00Z", freq="5min", inclusive="left")
    y = pd.Series(100.0, index=index)
    past = KnownEvent(name="flash", start=datetime(2026, 11, 26, 10, tzinfo=UTC),
                      end=datetime(2026, 11, 26, 12, tzinfo=UTC), multiplier=3)  # fmt: skip
    y[(y.index >= past.start) & (y.index < past.end)] *= 3
    step = timedelta(minutes=5)
    now = index[-1].to_pydatetime()

    plain = TargetForecaster("seasonal_naive", step=step, horizon=288)
    aware = TargetForecaster("seasonal_naive", step=step, horizon=288, events=[past, SALE])
    assert plain.fit(y, now=now) is None and aware.fit(y, now=now) is None
    naive, corrected = plain.forecast(y.iloc[-1:]), aware.forecast(y.iloc[-1:])
    assert isinstance(naive, Forecast) and isinstance(corrected, Forecast)

    at_10_30 = int(np.flatnonzero(corrected.index == pd.Timestamp("2026-11-27T10:30Z"))[0])
    at_13_00 = int(np.flatnonzero(corrected.index == pd.Timestamp("2026-11-27T13:00Z"))[0])
    assert naive.mean[at_10_30] == pytest.approx(300)  # repeats yesterday's event
    assert corrected.mean[at_10_30] == pytest.approx(300)  # the sale, not yesterday's flash
    assert corrected.mean[at_13_00] == pytest.approx(100)
    assert np.allclose(np.delete(corrected.mean, slice(at_10_30 - 6, at_10_30 + 18)), 100)
