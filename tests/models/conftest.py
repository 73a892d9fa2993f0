"""Shared data for the forecasting tests: small seeded synthetic traffic (fast to fit)."""

from __future__ import annotations

import pandas as pd
import pytest

from forescale.models.datasets import synthetic_traffic


@pytest.fixture(scope="session")
def traffic_30min() -> pd.Series:
    """16 days at 30 minutes (768 points): weekly features on, every model fits in well < 1 s."""
    return synthetic_traffic(days=16, freq="30min", seed=1, spikes=2)


@pytest.fixture(scope="session")
def traffic_15min() -> pd.Series:
    """21 days at 15 minutes for the accuracy and calibration tables."""
    return synthetic_traffic(days=21, freq="15min", seed=7, spikes=2, outages=1)
