"""Shadow evaluation: a candidate model forecasts beside the production model, scored live.

A backtest says how a model *configuration* would have done; before a new model replaces the one
in production it is worth seeing both artifacts forecast the same live traffic, from the same
origins, through the same cheap update the controller uses. `ShadowRun` does that:

- every cycle both models forecast from the newest data (each conditioned on the observations
  since its own training ended); a cycle where either has no forecast is skipped for both, so
  the two are always scored on the same origins;
- each forecast goes into its own `ForecastLedger` (the controller's live scorer), which scores it
  against the actual load as it arrives;
- `ShadowRun.comparison` reads both ledgers at the lead-time horizon: MAE, skill against
  persistence, bias, and a verdict once enough forecasts were scored.

The controller runs one when the model store holds a version newer than the promoted one
(`scaler.training.promoted.ModelFollower`); `shadow_replay` runs the same loop over recorded
history (for ``forescale train --shadow`` and the notebooks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import numpy as np
import pandas as pd

from forescale.models.base import BaseForecaster, Forecast
from forescale.scaler.domain import KnownEvent
from forescale.scaler.forecasting.engine import TargetForecaster
from forescale.scaler.planning.fallback import Health
from forescale.scaler.planning.ledger import AccuracySnapshot, ForecastLedger

__all__ = ["ShadowComparison", "ShadowRun", "shadow_replay"]

MIN_SCORED = 30
"""Scored forecasts per model before a verdict (the ledger's calibration minimum)."""
TOLERANCE = 0.02
"""A candidate within 2 % of production's MAE is on par (live errors are noisy), not worse."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShadowComparison:
    """Live accuracy of production and candidate at ``horizon`` steps, on the same origins."""

    horizon: int
    production: AccuracySnapshot
    candidate: AccuracySnapshot
    candidate_version: str | None = None

    @property
    def candidate_better(self) -> bool | None:
        """Whether the candidate is at least on par (MAE within `TOLERANCE`), once both have
        ``MIN_SCORED`` scored forecasts; None before."""
        p, c = self.production, self.candidate
        if min(p.scored, c.scored) < MIN_SCORED or p.mae is None or c.mae is None:
            return None
        return c.mae <= p.mae * (1 + TOLERANCE)

    @property
    def verdict(self) -> str:
        p, c = self.production, self.candidate
        better = self.candidate_better
        if better is None:
            return f"not enough live data yet ({min(p.scored, c.scored)} of {MIN_SCORED} scored)"
        assert p.mae is not None and c.mae is not None
        change = (c.mae / p.mae - 1) * 100 if p.mae > 0 else 0.0
        word = "worse" if not better else "on par" if abs(change) <= 100 * TOLERANCE else "better"
        return (
            f"candidate {word}: MAE {c.mae:.4g} vs {p.mae:.4g} ({change:+.1f}%) over "
            f"{c.scored} forecasts {self.horizon} steps ahead"
        )

    def to_json(self) -> dict[str, object]:
        def side(a: AccuracySnapshot) -> dict[str, object]:
            return {"scored": a.scored, "mae": a.mae, "skill": a.skill, "bias": a.bias}

        return {
            "horizon": self.horizon,
            "candidate_version": self.candidate_version,
            "production": side(self.production),
            "candidate": side(self.candidate),
            "candidate_better": self.candidate_better,
            "verdict": self.verdict,
        }


class ShadowRun:
    """Scores a candidate's live forecasts beside production's; see the module docstring."""

    def __init__(
        self,
        candidate: TargetForecaster,
        *,
        horizon: int,
        window: int = 1440,
        version: str | None = None,
    ) -> None:
        if candidate.model is None:
            raise ValueError("the shadow candidate must be a fitted model (adopt it first)")
        self.candidate = candidate
        self.horizon = max(1, horizon)
        self.version = version
        step = candidate.step
        self._ledgers = {
            side: ForecastLedger(step=step, horizon=self.horizon, window=window)
            for side in ("production", "candidate")
        }

    def observe(self, at: datetime, load: float | None) -> None:
        """An actual load sample: scores every earlier forecast of both models for ``at``."""
        for ledger in self._ledgers.values():
            ledger.observe(at, load)

    def step(self, *, history: pd.Series, production: Forecast | None) -> Forecast | None:
        """Record this cycle's production forecast and the candidate's from the same data.

        Returns the candidate's forecast (None when either side has none this cycle)."""
        if production is None or history.empty:
            return None
        candidate = self.candidate.forecast(
            context_since(history, self.candidate.model), horizon=self.horizon
        )
        if isinstance(candidate, Health) or candidate.index[0] != production.index[0]:
            return None
        origin = production.index[0].to_pydatetime() - self.candidate.step
        self._ledgers["production"].record_forecast(origin, production.mean[: self.horizon])
        self._ledgers["candidate"].record_forecast(origin, candidate.mean)
        return candidate

    def comparison(self, *, horizon: int | None = None) -> ShadowComparison:
        """Both models at ``horizon`` steps ahead (default: the longest recorded)."""
        h = self.horizon if horizon is None else max(1, min(horizon, self.horizon))
        return ShadowComparison(
            horizon=h,
            production=self._ledgers["production"].accuracy(h),
            candidate=self._ledgers["candidate"].accuracy(h),
            candidate_version=self.version,
        )


def context_since(history: pd.Series, model: BaseForecaster | None) -> pd.Series:
    """The observations after ``model``'s training data (what its cheap update needs)."""
    end = getattr(model, "train_end_", None)
    if end is None:
        return history
    recent: pd.Series = history.iloc[int(history.index.searchsorted(end)) :]
    return recent


def shadow_replay(
    y: pd.Series,
    *,
    production: BaseForecaster,
    candidate: BaseForecaster,
    start: datetime,
    horizon: int,
    events: Sequence[KnownEvent] = (),
    candidate_version: str | None = None,
) -> ShadowComparison:
    """Run `ShadowRun` over ``y`` from ``start`` on, one cycle per step, as the controller would.

    Origins before either model's training end are skipped: a model is never scored on data it
    was trained on. ``y``: regular UTC series at both models' step (NaN = gap).
    """
    step = _step_of(production, candidate)
    index = cast(pd.DatetimeIndex, y.index)
    fair = max(production.train_end_, candidate.train_end_, pd.Timestamp(start))
    forecasters = []
    for model in (production, candidate):
        f = TargetForecaster(model.name, step=step, horizon=horizon, events=events)
        f.adopt(model, fitted_at=pd.Timestamp(model.train_end_).to_pydatetime())
        forecasters.append(f)
    first = int(index.searchsorted(pd.Timestamp(start)))
    run = ShadowRun(
        forecasters[1], horizon=horizon, window=max(2, len(y) - first), version=candidate_version
    )
    values = y.to_numpy(dtype=float)
    for t in range(first, len(y)):
        at = index[t]
        run.observe(at.to_pydatetime(), float(values[t]) if np.isfinite(values[t]) else None)
        if at < fair or not np.isfinite(values[t]):
            continue
        seen = y.iloc[: t + 1]
        produced = forecasters[0].forecast(context_since(seen, production), horizon=horizon)
        if not isinstance(produced, Health):
            run.step(history=seen, production=produced)
    return run.comparison()


def _step_of(*models: BaseForecaster) -> timedelta:
    steps = {pd.Timedelta(m.freq_) for m in models}
    if len(steps) != 1:
        raise ValueError(
            f"production and candidate were fitted at different steps "
            f"({', '.join(str(s) for s in sorted(steps))}); compare models of one step"
        )
    return pd.Timedelta(steps.pop()).to_pytimedelta()
