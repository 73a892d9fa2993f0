"""`SeasonalMedian` keeps what repeats and drops a one-day accident; with little history it is
the seasonal naive."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forescale.models.registry import make_forecaster
from forescale.models.selection import FAST_CANDIDATES


def daily_with_a_spike(days: int, *, spike_day: int) -> pd.Series:
    """A daily cycle at 10-minute steps, plus a flash crowd (x4 for an hour) on one day at 15:00."""
    index = pd.date_range("2026-03-02", periods=days * 144, freq="10min", tz="UTC")
    hours = np.asarray(index.hour + index.minute / 60, dtype=float)
    load = 100 + 50 * np.sin(2 * np.pi * (hours - 9) / 24)
    crowd = (index.day_of_year == index[0].day_of_year + spike_day) & (index.hour == 15)
    return pd.Series(np.where(crowd, 4 * load, load), index=index)


def test_a_one_day_flash_crowd_is_not_forecast_again_the_next_day() -> None:
    y = daily_with_a_spike(5, spike_day=4)
    history = y[:"2026-03-06 23:50"]  # the crowd was yesterday at 15:00
    steps = 24 * 6  # forecast the whole next day
    at_15 = slice(15 * 6, 16 * 6)

    naive = make_forecaster("seasonal_naive").fit(history).predict(steps).mean
    median = make_forecaster("seasonal_median").fit(history).predict(steps).mean

    assert naive[at_15].min() > 300  # yesterday's crowd, repeated
    expected = daily_with_a_spike(6, spike_day=99)[-steps:].to_numpy()
    np.testing.assert_allclose(median, expected, rtol=1e-9)  # the cycle, without the crowd


def test_with_too_little_history_for_three_days_it_is_the_seasonal_naive() -> None:
    y = daily_with_a_spike(3, spike_day=1)[:-30]  # 2.8 days: one day back + one to calibrate
    median = make_forecaster("seasonal_median").fit(y)
    naive = make_forecaster("seasonal_naive").fit(y)

    assert median.k_ == 1  # type: ignore[attr-defined]
    np.testing.assert_allclose(median.predict(36).mean, naive.predict(36).mean)


def test_auto_compares_the_median_not_the_plain_naive() -> None:
    assert "seasonal_median" in FAST_CANDIDATES and "seasonal_naive" not in FAST_CANDIDATES
