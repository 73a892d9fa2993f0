"""The band a floor is sized on: one function, used wherever a forecast band is shown or used.

A model's own quantiles are only as good as its assumptions; live calibration (`ForecastLedger`)
replaces the sized quantile by the mean times the empirical quantile of recent actual/forecast
ratios, so the band covers what it claims. `calibrated_band` is that step. The policy sizes the
floor on it, and the API's forecast, the dry-run plan, the recorded forecasts, the target's
status and an ASG's published schedule all show or use the same band, so what an SRE sees is
what the floor was sized on. Pure: the ledger is read, never changed.
"""

from __future__ import annotations

import numpy as np

from forescale.models.base import Forecast
from forescale.scaler.planning.ledger import ForecastLedger

__all__ = ["CALIBRATED", "UNCALIBRATED", "calibrated_band"]

CALIBRATED = "quantile calibrated on live errors"
UNCALIBRATED = "no quantile band yet: sized on the mean"


def calibrated_band(forecast: Forecast, *, ledger: ForecastLedger, quantile: float) -> Forecast:
    """``forecast`` with its ``quantile`` band as a floor would be sized on it.

    Live-calibrated once the ledger has scored enough forecasts; before that the model's own
    band, or the mean (floored at 0) when the model gave none. Every point of the forecast is
    kept, however long: past the ledger's horizon see `_with_band`.
    """
    calibrated = ledger.calibrated(forecast.mean, quantile)
    if calibrated is not None:
        return _with_band(forecast, quantile, calibrated, note=CALIBRATED)
    try:
        forecast.quantile(quantile)
        return forecast
    except KeyError:
        return _with_band(forecast, quantile, np.maximum(forecast.mean, 0.0), note=UNCALIBRATED)


def _with_band(forecast: Forecast, q: float, values: np.ndarray, *, note: str) -> Forecast:
    """``forecast`` with its ``q`` band replaced by ``values`` where they reach.

    Live calibration covers only the ledger's horizon, counted from the forecast's origin; a
    forecast made from data a few steps old, or asked for further ahead (the API, a published
    schedule), reaches further than that, and its later points must stay (cutting them would
    leave the lead-time window uncovered exactly when data lags). Beyond the calibrated part the
    band is the model's own, lifted to at least the mean times the last calibrated ratio so that
    the band does not step down where calibration ends.
    """
    total = len(forecast.mean)
    n = min(len(values), total)
    band = np.asarray(values[:n], dtype=float)
    if n < total:
        mean = np.asarray(forecast.mean, dtype=float)
        try:
            own = np.asarray(forecast.quantile(q), dtype=float)[n:]
        except KeyError:
            own = np.maximum(mean[n:], 0.0)
        ratio = (band[-1] + 1e-9) / (max(mean[n - 1], 0.0) + 1e-9) if n else 1.0
        band = np.concatenate([band, np.maximum(own, np.maximum(mean[n:], 0.0) * ratio)])
    quantiles = {**forecast.quantiles, q: band}
    return Forecast(
        index=forecast.index,
        mean=forecast.mean,
        quantiles=quantiles,
        model=forecast.model,
        notes=(*forecast.notes, note),
    )
