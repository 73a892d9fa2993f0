"""Accuracy and calibration guards on seeded synthetic traffic (darts style: model, max relMAE).

relMAE = the model's MASE / the daily seasonal naive's MASE on the same rolling origins (the
notes' measure). The bounds are ~15% above what each model reached when the table was set, so a
regression fails and noise does not. The 90% intervals must cover 85-95% of held-back actuals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forescale.models.evaluation import BacktestResult, backtest
from forescale.models.registry import make_forecaster

MAX_REL_MAE = {
    "ridge": 0.50,
    "fft": 0.52,
    "holt_winters": 0.50,
    "gbm": 0.47,
    "mstl": 0.68,
    "level": 0.60,
    "auto": 0.50,
    "fallback": 0.50,
}
CALIBRATED = ("ridge", "fft", "level", "auto", "gbm", "holt_winters")
_RESULTS: dict[str, BacktestResult] = {}


def result(name: str, y: pd.Series) -> BacktestResult:
    if name not in _RESULTS:
        _RESULTS[name] = backtest(
            make_forecaster(name), y, horizon=4, test_size=3 * 96, refit_every=96
        )
    return _RESULTS[name]


@pytest.mark.parametrize(("name", "bound"), sorted(MAX_REL_MAE.items()))
def test_model_beats_the_daily_seasonal_naive_by_its_margin(
    name: str, bound: float, traffic_15min: pd.Series
) -> None:
    rel = (
        result(name, traffic_15min).metrics.mase
        / result("seasonal_naive", traffic_15min).metrics.mase
    )
    assert rel <= bound, f"{name}: relMAE {rel:.3f} > {bound}"


@pytest.mark.parametrize("name", CALIBRATED)
def test_ninety_percent_intervals_cover_85_to_95_percent_of_held_back_actuals(
    name: str, traffic_15min: pd.Series
) -> None:
    coverage = result(name, traffic_15min).metrics.coverage_90
    assert 0.85 <= coverage <= 0.95, f"{name}: coverage {coverage:.3f}"


def test_each_quantile_is_exceeded_about_as_often_as_it_says(traffic_15min: pd.Series) -> None:
    y = traffic_15min
    split = len(y) - 5 * 96
    model = make_forecaster("ridge").fit(y.iloc[:split])
    origins = y.index[split - 1 : len(y) - 5]
    steps = [1, 2, 4]
    out = model.forecast_origins(y, origins, steps=steps, quantiles=(0.1, 0.5, 0.9))
    positions = np.arange(split - 1, len(y) - 5)[:, None] + np.asarray(steps)[None, :]
    actual = y.to_numpy()[positions]
    for q in (0.1, 0.5, 0.9):
        below = float(np.mean(actual <= out[q]))
        assert abs(below - q) <= 0.07, f"q{q}: {below:.3f} of actuals below"
