"""Shared data for the training tests: six days of the bundled NASA trace at 5 minutes."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from forescale.models.datasets import load_example

NOW = datetime(2026, 11, 25, 6, tzinfo=UTC)
"""A fixed "now" for cards and versions (pure code never reads the clock)."""


@pytest.fixture(scope="session")
def nasa_5m() -> pd.Series:
    y = load_example("nasa").resample("5min").mean()
    return y.iloc[-6 * 288 :]
