"""Forecast accuracy metrics: one definition of each, for the three places that score forecasts.

The backtest (`forescale.models.evaluation`) scores arrays of (origin, step) cells; the live
ledger (`forescale.scaler.planning.ledger`) keeps running totals in ring buffers, because it
scores every decision for as long as the controller runs; the history comparison
(`forescale.scaler.store.compare`) sums forecast/actual pairs read back from the store. Each
accumulates the way its data arrives, and turns what it accumulated into figures here, so that an
MAE, a WAPE, an under-forecast rate, a skill or a bias means the same in a backtest report, on
the API and in the fallback state machine. The arithmetic is each caller's former arithmetic,
operation for operation, so no published figure moved when they were brought together.
"""

from __future__ import annotations

import numpy as np

from forescale.models.calibration import pinball_loss

__all__ = ["backtest_metrics", "bias", "mean_of", "relative_error", "skill", "wape"]


def mean_of(total: float, count: int) -> float | None:
    """``total / count``: a mean from a running total (MAE, an under-forecast rate); None
    when nothing was scored."""
    return float(total) / count if count else None


def wape(abs_error_total: float, abs_actual_total: float) -> float | None:
    """Weighted absolute percentage error, as a share: sum |actual - mean| / sum |actual|
    (None without load: a share of nothing)."""
    return abs_error_total / abs_actual_total if abs_actual_total > 0 else None


def skill(mae: float, naive_mae: float | None) -> float | None:
    """MAE of the forecast / MAE of persistence ("the load stays as it is now") at the same
    horizon: < 1 beats "no change". None when persistence was never wrong or not scored."""
    return mae / naive_mae if naive_mae else None


def bias(mean_signed_error: float | None, mean_actual: float) -> float | None:
    """Mean of (forecast - actual) / mean actual: negative means under-forecasting."""
    return (
        mean_signed_error / mean_actual
        if mean_signed_error is not None and mean_actual > 0
        else None
    )


def relative_error(mae: float | None, mean_actual: float | None) -> float | None:
    """MAE as a share of the mean actual load."""
    if mae is None or not mean_actual:
        return None
    return mae / mean_actual


def backtest_metrics(
    *,
    mean: np.ndarray,
    lower: np.ndarray,
    median: np.ndarray,
    upper: np.ndarray,
    actual: np.ndarray,
    scale: float,
) -> dict[str, float]:
    """MASE, sMAPE, pinball, 90 % coverage and the under-forecast p90 over the cells where
    ``actual`` is not NaN (see `forescale.models.evaluation` for each definition).
    ``lower``/``median``/``upper`` are the 5 %, 50 % and 95 % quantiles; ``scale`` the MASE
    denominator."""
    scored = ~np.isnan(actual)
    a, f = actual[scored], mean[scored]
    denom = np.abs(a) + np.abs(f)
    ratio = np.divide(2 * np.abs(f - a), denom, out=np.zeros_like(a), where=denom > 0)
    loaded = a > 0
    under = np.maximum(a - f, 0.0)[loaded] / a[loaded]
    pinball = np.mean(
        [
            pinball_loss(a, q_values[scored], q)
            for q, q_values in ((0.05, lower), (0.5, median), (0.95, upper))
        ]
    )
    return {
        "mase": float(np.mean(np.abs(a - f)) / scale),
        "smape": float(100 * ratio.mean()),
        "pinball": float(pinball),
        "coverage_90": float(np.mean((a >= lower[scored]) & (a <= upper[scored]))),
        "under_forecast_p90": float(np.percentile(under, 90)) if under.size else 0.0,
    }
