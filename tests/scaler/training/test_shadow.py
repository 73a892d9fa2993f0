"""Shadow evaluation: a candidate's live forecasts are scored beside production's, on the same
origins, and never on data either model was trained on."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from forescale.models.baselines import SeasonalNaive
from forescale.models.datasets import synthetic_traffic
from forescale.models.level import LevelTrend
from forescale.scaler.forecasting import ShadowRun, shadow_replay
from forescale.scaler.forecasting.engine import TargetForecaster
from forescale.scaler.forecasting.shadow import MIN_SCORED

STEP = timedelta(minutes=5)


@pytest.fixture(scope="module")
def smooth() -> pd.Series:
    """Four days of noise-free diurnal load: yesterday predicts today almost exactly."""
    return synthetic_traffic(days=4, freq="5min", seed=1, noise=False, spikes=0,
                             level_shifts=0, outages=0, weekend_dip=0.0)  # fmt: skip


def fitted(smooth: pd.Series) -> tuple[SeasonalNaive, LevelTrend]:
    train = smooth.iloc[: 3 * 288]
    return SeasonalNaive().fit(train), LevelTrend().fit(train)


def test_a_seasonal_candidate_beats_a_level_production_model_on_a_daily_cycle(
    smooth: pd.Series,
) -> None:
    seasonal, level = fitted(smooth)
    start = smooth.index[3 * 288].to_pydatetime()

    better = shadow_replay(smooth, production=level, candidate=seasonal, start=start, horizon=6)
    worse = shadow_replay(smooth, production=seasonal, candidate=level, start=start, horizon=6)

    assert better.candidate.scored == better.production.scored > MIN_SCORED
    assert better.candidate_better is True and worse.candidate_better is False
    assert better.verdict.startswith("candidate better: MAE")
    assert worse.verdict.startswith("candidate worse: MAE")
    assert better.to_json()["candidate_better"] is True


def test_nothing_is_scored_on_data_a_model_was_trained_on(smooth: pd.Series) -> None:
    seasonal = SeasonalNaive().fit(smooth)  # has seen everything
    level = LevelTrend().fit(smooth.iloc[: 3 * 288])
    start = smooth.index[3 * 288].to_pydatetime()
    result = shadow_replay(smooth, production=seasonal, candidate=level, start=start, horizon=6)
    assert result.candidate.scored == result.production.scored == 0
    assert result.candidate_better is None
    assert result.verdict.startswith("not enough live data yet (0 of")


def test_a_cycle_without_a_production_forecast_is_skipped_for_both(smooth: pd.Series) -> None:
    seasonal, level = fitted(smooth)
    production = TargetForecaster("level", step=STEP, horizon=6)
    production.adopt(level, fitted_at=level.train_end_.to_pydatetime())
    candidate = TargetForecaster("seasonal_naive", step=STEP, horizon=6)
    candidate.adopt(seasonal, fitted_at=seasonal.train_end_.to_pydatetime())
    run = ShadowRun(candidate, horizon=6, version="v2")
    times = smooth.index[3 * 288 :]
    for i, at in enumerate(times):
        run.observe(at.to_pydatetime(), float(smooth[at]))
        seen = smooth.loc[:at]
        forecast = production.forecast(seen.iloc[3 * 288 :])
        run.step(history=seen, production=None if i % 2 else forecast)  # type: ignore[arg-type]
    comparison = run.comparison()
    assert comparison.candidate.scored == comparison.production.scored
    assert 0 < comparison.candidate.scored <= len(times) // 2 + 1
    assert comparison.candidate_version == "v2"


def test_a_shadow_needs_a_fitted_candidate() -> None:
    with pytest.raises(ValueError, match="fitted"):
        ShadowRun(TargetForecaster("level", step=STEP, horizon=6), horizon=6)


def test_models_of_different_steps_cannot_be_compared(smooth: pd.Series) -> None:
    hourly = smooth.resample("1h").mean()
    with pytest.raises(ValueError, match="different steps"):
        shadow_replay(
            smooth, production=LevelTrend().fit(hourly), candidate=LevelTrend().fit(smooth),
            start=smooth.index[-10].to_pydatetime(), horizon=6,
        )  # fmt: skip
