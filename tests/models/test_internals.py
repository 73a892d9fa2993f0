"""Contracts under the models: the Holt-Winters recursion, the registry, the default rolling loop,
the calibrator."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from forescale.models.base import BaseForecaster, Forecast
from forescale.models.calibration import ResidualCalibrator, horizon_grid
from forescale.models.datasets import synthetic_traffic
from forescale.models.errors import UnknownModelError
from forescale.models.mstl import MSTLForecaster
from forescale.models.registry import FORECASTERS, make_forecaster
from forescale.models.smoothing import holt_filter


def test_our_holt_winters_recursion_reproduces_statsmodels_fitted_values() -> None:
    rng = np.random.default_rng(0)
    m, n = 24, 24 * 20
    t = np.arange(n)
    y = 100 + 20 * np.sin(2 * np.pi * t / m) + 0.05 * t + rng.normal(0, 3, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(
            y,
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=m,
            initialization_method="heuristic",
        ).fit()
    p = fit.params
    params = (
        p["smoothing_level"],
        p["smoothing_trend"],
        p["smoothing_seasonal"],
        p["damping_trend"],
    )
    levels, trends, seasons = holt_filter(
        y,
        params=params,
        level=p["initial_level"],
        trend=p["initial_trend"],
        season=np.asarray(p["initial_seasons"]),
    )
    phi = params[3]
    one_step = levels[:-1] + phi * trends[:-1] + seasons[1 : n + 1]
    np.testing.assert_allclose(one_step, fit.fittedvalues, rtol=1e-10, atol=1e-8)
    assert levels[-1] == pytest.approx(fit.level[-1]) and trends[-1] == pytest.approx(fit.trend[-1])


def test_make_forecaster_names_the_registered_models_on_a_typo() -> None:
    with pytest.raises(UnknownModelError, match="choose one of: auto, fallback, fft"):
        make_forecaster("ridgee")
    with pytest.raises(UnknownModelError, match="invalid parameters for 'ridge'"):
        make_forecaster("ridge", alpah=1.0)


def test_the_registry_lists_the_models_in_the_order_the_cli_shows_them() -> None:
    """`forescale backtest --models all` runs them in this order."""
    assert list(FORECASTERS) == [
        "seasonal_naive",
        "seasonal_median",
        "holt_winters",
        "mstl",
        "gbm",
        "fft",
        "ridge",
        "level",
        "auto",
        "fallback",
    ]


@pytest.mark.parametrize("name", ["auto", "fallback", "ridgee"])
def test_auto_refuses_a_candidate_that_is_not_a_single_model(name: str) -> None:
    y = synthetic_traffic(days=3, freq="30min", seed=1)
    with pytest.raises(UnknownModelError, match=f"auto cannot use '{name}' as a candidate"):
        make_forecaster("auto", candidates=("ridge", name)).fit(y)


def test_a_fallback_may_name_any_registered_model() -> None:
    y = synthetic_traffic(days=3, freq="30min", seed=1)
    model = make_forecaster("fallback", primary="auto", fallback="fallback").fit(y)
    assert model.predict(2).mean.shape == (2,)
    with pytest.raises(UnknownModelError, match="choose one of: auto, fallback, fft"):
        make_forecaster("fallback", primary="ridgee").fit(y)


class LastValue(BaseForecaster):
    """A minimal third-party forecaster: only _fit/_predict, so it uses the default loop."""

    name = "last_value"

    def _fit(self, y: pd.Series) -> None:
        self.last_ = float(y.iloc[-1])

    def _predict(
        self, horizon: int, *, quantiles: tuple[float, ...], context: pd.Series | None
    ) -> Forecast:
        series = context if context is not None else None
        last = float(series.iloc[-1]) if series is not None else self.last_
        end = series.index[-1] if series is not None else self.train_end_
        flat = np.full(horizon, last)
        return Forecast(
            index=self.future_index(end, horizon),
            mean=flat,
            quantiles={q: flat * (0.5 + q) for q in quantiles},
            model=self.name,
        )


def test_the_default_forecast_origins_loops_over_predict_with_context() -> None:
    idx = pd.date_range("2024-01-01", periods=20, freq="1h", tz="UTC")
    y = pd.Series(np.arange(20.0), index=idx)
    model = LastValue().fit(y.iloc[:10])
    out = model.forecast_origins(y, idx[[9, 12, 15]], steps=[1, 3], quantiles=(0.9,))
    np.testing.assert_array_equal(out["mean"], [[9, 9], [12, 12], [15, 15]])
    np.testing.assert_allclose(out[0.9], out["mean"] * 1.4)
    with pytest.raises(ValueError, match="steps"):
        model.forecast_origins(y, idx[[12]], steps=[0])


def test_horizon_grid_is_geometric_and_ends_at_the_maximum() -> None:
    assert horizon_grid(12).tolist() == [1, 2, 3, 4, 6, 8, 12]
    assert horizon_grid(60).tolist() == [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 60]
    assert horizon_grid(1).tolist() == [1]


def test_the_calibrator_scales_residuals_with_the_level_for_poisson_counts() -> None:
    rng = np.random.default_rng(1)
    level = rng.uniform(5, 500, size=(4000, 1))
    actual = rng.poisson(level).astype(float)
    cal = ResidualCalibrator.fit(forecasts=level, actuals=actual, steps=np.array([1]))
    assert cal.power == 0.5
    q = cal.quantiles(np.array([[400.0], [9.0]]), steps=np.array([1]), quantiles=(0.05, 0.95))
    width = q[0.95] - q[0.05]
    assert width[0, 0] == pytest.approx(2 * 1.645 * 20, rel=0.15)  # sd = sqrt(400)
    assert width[0, 0] > 4 * width[1, 0]


def test_calibrated_spread_grows_beyond_the_last_calibrated_step() -> None:
    rng = np.random.default_rng(2)
    forecasts = np.full((500, 2), 100.0)
    actuals = forecasts + rng.normal(0, [5, 10], size=(500, 2))
    cal = ResidualCalibrator.fit(forecasts=forecasts, actuals=actuals, steps=np.array([1, 4]))
    spread = cal.offsets(0.95, np.array([1, 4, 16]))
    assert spread[0] < spread[1] < spread[2]
    assert spread[2] == pytest.approx(2 * spread[1])  # sqrt(16 / 4)


def test_mstl_on_exactly_two_weeks_uses_the_daily_season_and_says_why() -> None:
    y = synthetic_traffic(days=14, freq="1h", seed=0)
    model = MSTLForecaster().fit(y)  # statsmodels would silently drop a 2-week weekly period
    assert model.notes_ == (
        "mstl: daily season only (14.0d of history; the weekly one needs more than 14 days)",
    )
    assert len(model.profile_) == 24
