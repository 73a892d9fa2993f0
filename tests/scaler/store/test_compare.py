"""Forecast versus actual: which forecast is scored against which load, and the summary."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from forescale.scaler.records import ForecastPoint, ForecastRecord
from forescale.scaler.store.compare import pairs, summarize, value_at
from tests.scaler.store.contract import MINUTE, T0, decision


def path(issued: int, values: list[float], *, band: float = 0.2) -> ForecastRecord:
    """A forecast issued at T0 + ``issued`` minutes, one point a minute after that."""
    at = T0 + issued * MINUTE
    points = tuple(
        ForecastPoint(at=at + (k + 1) * MINUTE, mean=v, lower=v * (1 - band), upper=v * (1 + band))
        for k, v in enumerate(values)
    )
    return ForecastRecord(target="t", issued_at=at, model="m", quantile=0.9, points=points)


def test_between_two_points_the_path_is_interpolated_and_outside_it_there_is_none() -> None:
    points = path(0, [100.0, 200.0]).points
    half = value_at(points, T0 + 90 * timedelta(seconds=1))
    assert half is not None and half.mean == pytest.approx(150.0)
    assert half.upper == pytest.approx(180.0)
    assert value_at(points, T0) is None and value_at(points, T0 + 3 * MINUTE) is None


def test_each_actual_meets_the_newest_forecast_issued_a_horizon_before_it() -> None:
    forecasts = [path(0, [10.0, 11.0, 12.0, 13.0]), path(2, [20.0, 21.0, 22.0])]
    actuals = [decision("t", T0 + k * MINUTE, load=float(k)) for k in range(1, 6)]
    got = pairs(forecasts, actuals, horizon=2 * MINUTE)
    # t=1: nothing issued by t-2; t=2,3: issued at 0; t=4: issued at 2 (its first point is t=3)
    assert [(p.at - T0, p.mean, p.issued_at - T0) for p in got] == [
        (2 * MINUTE, 11.0, timedelta(0)),
        (3 * MINUTE, 12.0, timedelta(0)),
        (4 * MINUTE, 21.0, 2 * MINUTE),
        (5 * MINUTE, 22.0, 2 * MINUTE),
    ]


def test_an_older_forecast_fills_in_where_the_newest_does_not_reach() -> None:
    forecasts = [path(0, [10.0, 11.0, 12.0, 13.0]), path(1, [20.0])]  # the newer one is short
    (pair,) = pairs(forecasts, [decision("t", T0 + 4 * MINUTE, load=5.0)], horizon=timedelta(0))
    assert pair.mean == 13.0 and pair.issued_at == T0


def test_decisions_without_a_load_are_not_scored() -> None:
    forecasts = [path(0, [10.0, 11.0])]
    actuals = [decision("t", T0 + MINUTE, load=None), decision("t", T0 + 2 * MINUTE, load=math.nan)]
    assert pairs(forecasts, actuals, horizon=timedelta(0)) == []


def test_the_summary_reports_mae_wape_and_the_share_above_the_band() -> None:
    forecasts = [path(0, [100.0, 100.0, 100.0, 100.0])]  # band top 120
    loads = [90.0, 110.0, 130.0, 150.0]
    actuals = [decision("t", T0 + (k + 1) * MINUTE, load=v) for k, v in enumerate(loads)]
    summary = summarize(pairs(forecasts, actuals, horizon=timedelta(0)))
    assert summary.pairs == 4
    assert summary.mae == pytest.approx((10 + 10 + 30 + 50) / 4)
    assert summary.wape == pytest.approx(100 / 480)
    assert summary.under_rate == pytest.approx(0.5)


def test_an_empty_history_summarises_to_nothing_rather_than_zero() -> None:
    summary = summarize([])
    assert (summary.pairs, summary.mae, summary.wape, summary.under_rate) == (0, None, None, None)
