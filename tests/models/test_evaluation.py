"""Rolling-origin backtests score only what was observed and compute the metrics as documented."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forescale.models.baselines import SeasonalNaive
from forescale.models.datasets import synthetic_traffic
from forescale.models.errors import InsufficientHistoryError
from forescale.models.evaluation import backtest, mase_scale, prepare_series
from forescale.models.registry import make_forecaster


def periodic(days: int = 6) -> pd.Series:
    idx = pd.date_range("2024-01-01", periods=days * 48, freq="30min", tz="UTC")
    return pd.Series(np.tile(np.arange(48, dtype=float) + 10, days), index=idx)


def test_a_perfect_forecast_scores_zero_error_and_full_coverage() -> None:
    y = periodic()
    y.iloc[:48] += np.random.default_rng(0).uniform(0, 5, 48)  # day 1 differs: MASE scale > 0
    result = backtest(SeasonalNaive(), y, horizon=4, test_size=48, refit_every=24)
    m = result.metrics
    assert m.mase == 0 and m.smape == 0 and m.under_forecast_p90 == 0 and m.coverage_90 == 1
    assert m.n_origins == 48 - 4 and m.n_scored == 4 * m.n_origins
    assert result.answered_by == ("seasonal_naive",)


def test_filled_points_are_never_scored_nor_used_as_origins() -> None:
    y = synthetic_traffic(days=8, freq="30min", seed=3)
    y = y.drop(y.index[300:340])  # a 20-hour outage inside the test window
    result = backtest(make_forecaster("level"), y, horizon=3, test_size=96, refit_every=48)
    gap = pd.date_range(y.index[299], periods=41, freq="30min")[1:].as_unit("ns").asi8
    origins = result.origins.as_unit("ns").asi8
    assert not np.isin(origins, gap).any()
    targets = origins[:, None] + np.arange(1, 4) * pd.Timedelta("30min").value
    in_gap = np.isin(targets, gap)
    assert np.isnan(result.actual[in_gap]).all() and not np.isnan(result.actual[~in_gap]).any()
    assert result.metrics.n_scored == int((~in_gap).sum())


def test_prepare_series_fills_long_gaps_and_marks_them() -> None:
    y = periodic(8)
    gappy = y.drop(y.index[200:260])
    filled, observed = prepare_series(gappy)
    assert len(filled) == len(y) and observed.sum() == len(gappy)
    np.testing.assert_allclose(filled.to_numpy(), y.to_numpy())  # a day earlier = same values


def test_mase_scale_uses_only_pairs_that_were_both_observed() -> None:
    values = np.array([1.0, 2, 3, 100, 5, 6])
    observed = np.array([True, True, True, False, True, True])
    assert mase_scale(values, observed, season=3) == pytest.approx(3.0)  # |5-2|, |6-3|


def test_a_test_window_longer_than_the_data_is_refused() -> None:
    with pytest.raises(InsufficientHistoryError, match="do not fit"):
        backtest(SeasonalNaive(), periodic(2), horizon=4, test_size=200)


def test_origins_are_spread_evenly_when_fewer_are_asked() -> None:
    result = backtest(
        SeasonalNaive(), periodic(), horizon=2, test_size=48, n_origins=10, refit_every=5
    )
    assert len(result.origins) == 10
    gaps = np.diff(result.origins.asi8)
    assert gaps.max() - gaps.min() <= pd.Timedelta("30min").value
