"""A target's model lifecycle: when to (re)fit, fitting with clear reasons, forecasting."""

from forescale.scaler.forecasting.engine import RefitPolicy, TargetForecaster, causal_fill

__all__ = ["RefitPolicy", "TargetForecaster", "causal_fill"]
