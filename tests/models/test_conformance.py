"""One conformance suite for every registered forecaster and each of its test parameter sets.

sktime's idea: the contract (fit/predict, cheap update, rolling forecasts, persistence) is tested
once, here, for all models, so a new model gets the whole suite by being registered.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from forescale.models.base import BaseForecaster
from forescale.models.errors import GapTooLongError, NotFittedError
from forescale.models.persistence import dumps, loads, make_card
from forescale.models.registry import FORECASTERS, make_forecaster

CASES = [
    pytest.param(name, params, id=f"{name}-{i}")
    for name, cls in FORECASTERS.items()
    for i, params in enumerate(cls.get_test_params())
]
HORIZON = 7
QUANTILES = (0.05, 0.5, 0.9, 0.95)
TRAIN = 640  # of the 768 points: the rest is "the future" for context and rolling tests
_FITTED: dict[tuple[str, str], BaseForecaster] = {}


def fitted(name: str, params: dict[str, Any], y: pd.Series) -> BaseForecaster:
    """Fit each case once per session (several tests read the same fitted model)."""
    key = (name, repr(sorted(params.items())))
    if key not in _FITTED:
        _FITTED[key] = make_forecaster(name, **params).fit(y.iloc[:TRAIN])
    return _FITTED[key]


def test_every_model_has_at_least_two_parameter_sets() -> None:
    for name, cls in FORECASTERS.items():
        assert len(cls.get_test_params()) >= 2, name
        assert cls.name == name


@pytest.mark.parametrize(("name", "params"), CASES)
def test_predict_before_fit_raises_not_fitted(name: str, params: dict[str, Any]) -> None:
    model = make_forecaster(name, **params)
    with pytest.raises(NotFittedError, match="fit"):
        model.predict(3)


@pytest.mark.parametrize(("name", "params"), CASES)
def test_fit_returns_self_and_records_the_training_window(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    model = fitted(name, params, traffic_30min)
    assert model.is_fitted()
    assert model.train_end_ == traffic_30min.index[TRAIN - 1]
    assert model.freq_ == pd.Timedelta("30min")
    fresh = make_forecaster(name, **params)
    assert fresh.fit(traffic_30min.iloc[:TRAIN]) is fresh


@pytest.mark.parametrize(("name", "params"), CASES)
def test_forecast_index_continues_the_training_data_at_its_step(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    forecast = fitted(name, params, traffic_30min).predict(HORIZON)
    expected = pd.date_range(
        traffic_30min.index[TRAIN - 1] + pd.Timedelta("30min"), periods=HORIZON, freq="30min"
    )
    assert forecast.index.equals(expected)
    assert str(forecast.index.tz) == "UTC"
    assert forecast.mean.shape == (HORIZON,)
    assert forecast.model  # names who answered


@pytest.mark.parametrize(("name", "params"), CASES)
def test_quantiles_are_monotone_non_negative_and_finite(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    forecast = fitted(name, params, traffic_30min).predict(HORIZON, quantiles=QUANTILES)
    stacked = np.stack([forecast.quantile(q) for q in QUANTILES])
    assert np.isfinite(stacked).all() and np.isfinite(forecast.mean).all()
    assert (stacked >= 0).all() and (forecast.mean >= 0).all()
    assert (np.diff(stacked, axis=0) >= -1e-9).all()
    assert (forecast.quantile(0.95) > forecast.quantile(0.05)).any()


@pytest.mark.parametrize(("name", "params"), CASES)
def test_clone_and_params_round_trip(name: str, params: dict[str, Any]) -> None:
    model = make_forecaster(name, **params)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    rebuilt = make_forecaster(name, **model.get_params(deep=False))
    assert rebuilt.get_params() == model.get_params()
    assert not copy.is_fitted()


@pytest.mark.parametrize(("name", "params"), CASES)
def test_save_and_load_give_the_same_forecast(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    model = fitted(name, params, traffic_30min)
    card = make_card(
        model, traffic_30min.iloc[:TRAIN], created_at=pd.Timestamp("2024-02-01", tz="UTC")
    )
    loaded, loaded_card = loads(dumps(model, card))
    context = traffic_30min.iloc[TRAIN - 5 : TRAIN + 9]
    before = model.predict(HORIZON, quantiles=QUANTILES, context=context)
    after = loaded.predict(HORIZON, quantiles=QUANTILES, context=context)
    np.testing.assert_array_equal(after.mean, before.mean)
    for q in QUANTILES:
        np.testing.assert_array_equal(after.quantile(q), before.quantile(q))
    assert loaded_card == card


@pytest.mark.parametrize(("name", "params"), CASES)
def test_forecast_origins_equal_predict_with_the_data_up_to_each_origin(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    model = fitted(name, params, traffic_30min)
    y = traffic_30min
    origins = y.index[[TRAIN - 1, TRAIN, TRAIN + 13, TRAIN + 60]]
    steps = [1, 3, HORIZON]
    rolled = model.forecast_origins(y, origins, steps=steps, quantiles=(0.1, 0.9))
    for i, origin in enumerate(origins):
        single = model.predict(HORIZON, quantiles=(0.1, 0.9), context=y.loc[:origin])
        idx = np.asarray(steps) - 1
        np.testing.assert_allclose(rolled["mean"][i], single.mean[idx], rtol=1e-9, atol=1e-9)
        for q in (0.1, 0.9):
            np.testing.assert_allclose(rolled[q][i], single.quantile(q)[idx], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(("name", "params"), CASES)
def test_forecast_origins_never_use_data_after_the_origin(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    model = fitted(name, params, traffic_30min)
    y = traffic_30min
    origins = y.index[TRAIN - 1 : TRAIN + 40 : 4]
    full = model.forecast_origins(y, origins, steps=[1, 5], quantiles=(0.9,))
    truncated = model.forecast_origins(
        y.loc[: origins[-1]], origins, steps=[1, 5], quantiles=(0.9,)
    )
    changed = y.copy()
    changed.loc[changed.index > origins[-1]] *= 3.0  # a different future must not matter
    perturbed = model.forecast_origins(changed, origins, steps=[1, 5], quantiles=(0.9,))
    for out in (truncated, perturbed):
        np.testing.assert_array_equal(out["mean"], full["mean"])
        np.testing.assert_array_equal(out[0.9], full[0.9])


@pytest.mark.parametrize(("name", "params"), CASES)
def test_context_moves_the_forecast_to_after_its_last_observation(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    model = fitted(name, params, traffic_30min)
    context = traffic_30min.iloc[TRAIN : TRAIN + 20]
    forecast = model.predict(HORIZON, context=context)
    assert forecast.index[0] == context.index[-1] + pd.Timedelta("30min")
    assert not np.allclose(forecast.mean, model.predict(HORIZON).mean)


@pytest.mark.parametrize(("name", "params"), CASES)
def test_context_that_leaves_a_long_gap_after_training_is_refused(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    model = fitted(name, params, traffic_30min)
    late = traffic_30min.iloc[TRAIN + 40 : TRAIN + 60]  # 20 hours after the training data
    with pytest.raises(GapTooLongError, match="continue the training data"):
        model.predict(HORIZON, context=late)


@pytest.mark.parametrize(("name", "params"), CASES)
def test_a_failed_refit_leaves_the_model_unfitted_not_half_updated(
    name: str, params: dict[str, Any], traffic_30min: pd.Series
) -> None:
    model = make_forecaster(name, **params).fit(traffic_30min.iloc[:TRAIN])
    with pytest.raises(ValueError, match="needs|too few|could fit|collect"):
        model.fit(traffic_30min.iloc[:3])
    with pytest.raises(NotFittedError):
        model.predict(2)
