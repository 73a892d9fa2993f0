"""Training as a use case: history -> backtest -> select -> refit -> model store -> controller.

- `train_target` / `train_all`: one ``forescale train`` pass (`TrainOptions`, `TrainReport`);
- `from_spec`, `from_trace`, `from_series`: what to train (`TrainTarget`);
- `ShadowRun`, `shadow_replay`, `ShadowComparison`: a candidate scored live beside production;
- `ModelFollower`: the controller's side, adopting the promoted model when it changes.
"""

from forescale.scaler.training.promoted import ModelFollower
from forescale.scaler.training.shadow import ShadowComparison, ShadowRun, shadow_replay
from forescale.scaler.training.targets import TrainTarget, from_series, from_spec, from_trace
from forescale.scaler.training.train import (
    DEFAULT_CANDIDATES,
    CandidateResult,
    TrainOptions,
    TrainReport,
    train_all,
    train_target,
)

__all__ = [
    "DEFAULT_CANDIDATES",
    "CandidateResult",
    "ModelFollower",
    "ShadowComparison",
    "ShadowRun",
    "TrainOptions",
    "TrainReport",
    "TrainTarget",
    "from_series",
    "from_spec",
    "from_trace",
    "shadow_replay",
    "train_all",
    "train_target",
]
