"""Live scoring: calibrated quantiles cover what they claim, accuracy figures mean what they say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from forescale.scaler.planning.ledger import ForecastLedger

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=1)


def _feed(ledger: ForecastLedger, actual: np.ndarray, forecast: np.ndarray, *, q: float) -> float:
    """Issue a flat forecast each step, score it; return coverage of the calibrated q path on
    the second half (after calibration has data)."""
    covered, counted = 0, 0
    for t in range(len(actual)):
        at = T0 + t * STEP
        ledger.observe(at, float(actual[t]))
        path = np.full(ledger.horizon, forecast[t])
        upper = ledger.calibrated(path, q)
        ledger.record_forecast(at, path, upper)
        if upper is not None and t + 3 < len(actual) and t > len(actual) // 2:
            covered += actual[t + 3] <= upper[2]
            counted += 1
    return covered / counted


def test_calibrated_quantiles_cover_about_what_they_claim_even_for_a_biased_model() -> None:
    rng = np.random.default_rng(7)
    level = 100 + 30 * np.sin(np.arange(6000) / 300)
    actual = rng.poisson(level).astype(float)
    biased = level * 0.8  # the model under-forecasts by 20 %: live calibration must correct it
    ledger = ForecastLedger(step=STEP, horizon=6, window=1440, min_scored=30)
    coverage = _feed(ledger, actual, biased, q=0.9)
    assert 0.85 <= coverage <= 0.95


def test_no_band_before_enough_forecasts_were_scored() -> None:
    ledger = ForecastLedger(step=STEP, horizon=3, window=100, min_scored=10)
    for t in range(5):
        ledger.observe(T0 + t * STEP, 10.0)
        ledger.record_forecast(T0 + t * STEP, np.full(3, 10.0))
    assert ledger.calibrated(np.full(3, 10.0), 0.9) is None
    assert not ledger.is_calibrated()


def test_skill_compares_with_assuming_no_change_and_under_rate_counts_misses() -> None:
    ledger = ForecastLedger(step=STEP, horizon=2, window=500, min_scored=5)
    actual = [10.0, 20.0] * 100  # alternating: "no change" is always wrong by 10 at horizon 1
    for t, value in enumerate(actual):
        at = T0 + t * STEP
        ledger.observe(at, value)
        nxt = actual[(t + 1) % 2]
        ledger.record_forecast(at, np.array([nxt, value]), upper=np.array([nxt - 1, value - 1]))
    acc = ledger.accuracy(1)
    assert acc.mae == 0.0 and acc.skill == 0.0  # perfect forecast vs a naive error of 10
    assert acc.under_rate == 1.0  # every actual was above the (too low) sized path
    assert acc.scored == 199


def test_gaps_are_not_scored_and_memory_stays_flat() -> None:
    ledger = ForecastLedger(step=STEP, horizon=4, window=50, min_scored=5)
    before = ledger._ring.data.nbytes  # noqa: SLF001
    for t in range(5000):
        at = T0 + t * STEP
        ledger.observe(at, None if t % 7 == 0 else 5.0)
        ledger.record_forecast(at, np.full(4, 5.0))
    assert ledger._ring.data.nbytes == before  # noqa: SLF001
    assert ledger.accuracy(1).scored == 50
