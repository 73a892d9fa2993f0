"""How a target tunes itself: mode, objective, window, and shadow start (shared by the controller
and the replay, so that what is replayed is what runs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from forescale.scaler.tuning.objective import Objective
from forescale.scaler.tuning.tuner import Mode

__all__ = ["SHADOW", "TuningConfig"]

SHADOW = (
    "forecasting has not yet been shown to pay on this target: the floor waits for the first "
    "tuning (forecasts are made and scored meanwhile)"
)
"""Why a target has no floor before its first tuning (`TuningConfig.shadow_start`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TuningConfig:
    mode: Mode | None = "fixed"
    """None: no tuning (the fixed defaults run throughout)."""
    objective: Objective = field(default_factory=Objective)
    window: timedelta = timedelta(days=7)
    min_window_steps: int = 2000
    """On coarse traces seven days are a few hundred steps, too few to tell settings apart:
    the window then grows (within the history kept for fitting) to this many steps."""
    min_forecasts: timedelta = timedelta(days=2)
    """Tune only once this much history has forecasts (calibration needs a day of its own)."""
    shadow_start: bool = True
    """Until the first tuning the floor is off (forecasts are made and recorded, not acted on):
    forecasting must pay on the target's own history before it sizes capacity. Measured on the
    replay benchmark: it removes the harm done before the first tuning on traces where
    forecasting does not pay (equal-service 1.02 -> 1.00 on an EC2 CPU trace), and costs the
    traces where it pays the days before it (NYC taxi equal-cost 0.07 -> 0.10)."""
