"""Training as a use case: history -> backtest -> select -> refit -> model store -> controller.

- `train_target` / `train_all`: one ``forescale train`` pass (`TrainOptions`, `TrainReport`);
- `from_spec`, `from_trace`, `from_series`: what to train (`TrainTarget`);

The controller's side of the lifecycle (adopting a promoted model, shadow-scoring a candidate)
is runtime code and lives in `forescale.scaler.forecasting`; this package is the batch job.
"""

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
    "TrainOptions",
    "TrainReport",
    "TrainTarget",
    "from_series",
    "from_spec",
    "from_trace",
    "train_all",
    "train_target",
]
