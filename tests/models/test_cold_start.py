"""With little history the forecasters still answer, from models that need less, and say so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forescale.models.datasets import synthetic_traffic
from forescale.models.errors import InsufficientHistoryError
from forescale.models.fallback import Fallback
from forescale.models.level import LevelTrend
from forescale.models.registry import make_forecaster


@pytest.fixture(scope="module")
def week() -> pd.Series:
    return synthetic_traffic(days=7, freq="5min", seed=11)


def test_with_hours_of_history_auto_answers_with_the_level_model_and_says_why(
    week: pd.Series,
) -> None:
    model = make_forecaster("auto").fit(week.iloc[:60])  # 5 hours
    forecast = model.predict(12, quantiles=(0.1, 0.9))
    assert forecast.model == "level"
    notes = " ".join(forecast.notes)
    assert "cold start: only 5.0h of history (< 1 day)" in notes
    assert "ridge skipped: needs" in notes and "seasonal_median skipped" in notes
    assert np.isfinite(forecast.mean).all() and (forecast.quantile(0.9) >= forecast.mean).all()


def test_with_days_of_history_auto_compares_the_models_that_fit_and_notes_the_short_history(
    week: pd.Series,
) -> None:
    model = make_forecaster("auto").fit(week.iloc[: 4 * 288])
    forecast = model.predict(12, quantiles=(0.9,))
    notes = " ".join(forecast.notes)
    assert "short history: 4.0d (< 2 weeks)" in notes
    assert "auto: chose" in notes and "held-out MAE" in notes
    assert set(model.scores_) == {"ridge", "fft", "level", "seasonal_median"}
    members = [member.name for member, _ in model.members_]
    assert len(members) == 2 and set(members) <= set(model.scores_)
    assert forecast.model == f"ensemble({members[0]}+{members[1]})"


def test_with_minutes_of_history_auto_refuses_and_says_what_it_needs(week: pd.Series) -> None:
    with pytest.raises(InsufficientHistoryError, match="collect more history|Collect more"):
        make_forecaster("auto").fit(week.iloc[:6])


def test_the_level_model_widens_its_interval_with_the_horizon_from_one_hour_of_data(
    week: pd.Series,
) -> None:
    forecast = LevelTrend().fit(week.iloc[:12]).predict(36, quantiles=(0.05, 0.95))
    width = forecast.quantile(0.95) - forecast.quantile(0.05)
    assert width[-1] > width[0] > 0


def test_fallback_answers_with_the_simpler_model_when_the_primary_lacks_history(
    week: pd.Series,
) -> None:
    model = Fallback(primary="mstl", fallback="level").fit(week.iloc[:300])  # 25 hours
    forecast = model.predict(6, quantiles=(0.9,))
    assert forecast.model == "level" and model.answered_by_ == "level"
    assert any("mstl could not fit" in note and "level answered" in note for note in forecast.notes)
    rolled = model.forecast_origins(week, week.index[[299, 320]], steps=[1, 6])
    assert rolled["mean"].shape == (2, 2)


def test_fallback_keeps_the_primary_when_it_can_fit(week: pd.Series) -> None:
    forecast = Fallback(primary="ridge").fit(week).predict(6)
    assert forecast.model == "ridge" and not any("could not fit" in n for n in forecast.notes)
