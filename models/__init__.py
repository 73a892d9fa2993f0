"""Forescale's forecasting layer: pure forecasting, no network clients.

Knows nothing of Kubernetes, AWS, Prometheus or HTTP; it takes and returns pandas/numpy data.
"""

from models.base import BaseForecaster, Forecast

__all__ = ["BaseForecaster", "Forecast"]
