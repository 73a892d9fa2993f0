"""A target's model lifecycle at run time: when to (re)fit, fitting with clear reasons,
forecasting, adopting the model a training job promoted (`ModelFollower`) and scoring a candidate
live beside it (`ShadowRun`). The batch training job itself is `forescale.scaler.training`."""

from forescale.scaler.forecasting.engine import RefitPolicy, TargetForecaster, causal_fill
from forescale.scaler.forecasting.promoted import ModelFollower
from forescale.scaler.forecasting.shadow import ShadowComparison, ShadowRun, shadow_replay

__all__ = [
    "ModelFollower",
    "RefitPolicy",
    "ShadowComparison",
    "ShadowRun",
    "TargetForecaster",
    "causal_fill",
    "shadow_replay",
]
