"""The replay starts in shadow as the controller does: no floor before the first tuning."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from forescale.models.datasets import synthetic_traffic
from forescale.scaler.simulate.replay import ReplayConfig, ReplayResult, replay
from forescale.scaler.tuning.config import TuningConfig

CONFIG = ReplayConfig(capacity=12.0, startup=timedelta(minutes=10), model="seasonal_naive")


@pytest.fixture(scope="module")
def trace() -> pd.Series:
    return synthetic_traffic(days=6, freq="5min", seed=4, spikes=0, level_shifts=0, outages=0)


def _first_floor(result: ReplayResult) -> int:
    floors = result.band["floor"].to_numpy(dtype=float)
    return int(np.flatnonzero(np.isfinite(floors))[0])


def test_no_floor_is_set_before_the_first_tuning_has_shown_that_forecasting_pays(
    trace: pd.Series,
) -> None:
    result = replay(trace, CONFIG, policies=("predictive",))

    assert result.tunings, "six days hold two days of forecasts: at least one tuning"
    first_tuned = result.tunings[0][0]
    assert result.tunings[0][1].setting.predictive  # a clean daily cycle: forecasting pays
    assert result.index[_first_floor(result)] >= first_tuned
    early = result.modes[: int(np.searchsorted(result.index, first_tuned))]
    assert set(early) == {"reactive"}


def test_without_shadow_start_floors_follow_the_first_forecasts(trace: pd.Series) -> None:
    result = replay(
        trace,
        replace(CONFIG, tuning=TuningConfig(shadow_start=False)),
        policies=("predictive",),
    )

    assert result.index[_first_floor(result)] < result.tunings[0][0]
