"""What one target's control cycle hands from phase to phase, and what it ends with: the outcome
and the status snapshot the API reads; and the API's dry-run plan from the newest outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd

from forescale.models.base import BaseForecaster, Forecast
from forescale.scaler.controller.view import TargetStatus
from forescale.scaler.domain import ActuationResult, Capacity, CapacityPlan, Mode, TargetSpec
from forescale.scaler.errors import ForecastUnavailable
from forescale.scaler.planning.fallback import FallbackState
from forescale.scaler.planning.ledger import AccuracySnapshot
from forescale.scaler.planning.planner import PlanInputs, plan
from forescale.scaler.planning.policy import Decision, HysteresisInputs

__all__ = ["CycleOutcome", "Decided", "Gathered", "always", "replan", "target_status"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Gathered:
    """What `gather` read from outside: the object's capacity and the load samples since the
    last fetch (``fetch_error``: why there are none; the policy degrades on stale data)."""

    now: datetime
    capacity: Capacity
    fresh: pd.Series | None
    fetch_error: str | None = None
    store_error: str | None = None
    tick: float | None = None
    """The cycle's monotonic reading: model ages are measured on it, not on the wall clock."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decided:
    """What `decide` made of a `Gathered`: the decision, and why a refit ran (if one did)."""

    gathered: Gathered
    decision: Decision
    refit_reason: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleOutcome:
    decision: Decision
    capacity: Capacity
    load: float | None
    actuation: ActuationResult | None
    dry_run: bool
    refit_reason: str | None
    issued: tuple[float, float] | None = None
    """(mean, sized quantile) forecast ``lead`` steps before the newest sample, for scoring."""


def always() -> bool:
    return True


def target_status(
    spec: TargetSpec,
    last: CycleOutcome | None,
    *,
    state: FallbackState,
    model: BaseForecaster | None,
    accuracy: AccuracySnapshot,
    last_error: str | None,
    paused: bool,
    tuning: dict[str, Any] | None = None,
) -> TargetStatus:
    """The status of a target whose newest cycle is ``last`` and fallback state ``state``.

    The mode is the fallback machine's now: a failed cycle moves it without a new plan, and a
    plan that was not reactive when made has had its floor given back once the target is."""
    plan = last.decision.plan if last is not None else None
    released = state.mode is Mode.REACTIVE and plan is not None and plan.mode is not Mode.REACTIVE
    return TargetStatus(
        name=str(spec.name), ref=str(spec.ref), mode=state.mode.value, mode_reason=state.reason,
        floor=plan.floor if plan and not released else None,
        reactive=plan.reactive if plan else None, desired=plan.desired if plan else None,
        current_replicas=last.capacity.current_replicas if last else None,
        model=plan.model if plan and plan.model else (model.name if model else None),
        accuracy=accuracy, last_decision_at=plan.at if plan else None, last_error=last_error,
        paused=paused, forecast_only=spec.forecast_only, quantile=spec.policy.quantile,
        lead_time_seconds=spec.policy.lead_time.total_seconds(),
        training_start=_ts(getattr(model, "train_start_", None)),
        training_end=_ts(getattr(model, "train_end_", None)), tuning=tuning,
    )  # fmt: skip


def replan(
    spec: TargetSpec,
    last: CycleOutcome | None,
    *,
    now: datetime,
    quantile: float | None,
    band: Callable[..., Forecast],
    hysteresis: Callable[[datetime], HysteresisInputs],
) -> CapacityPlan:
    """What ``last`` would have decided at ``now`` sized on ``quantile`` (default: the spec's);
    `TargetRuntime.dry_run`. At the spec's quantile the band is the one the floor was sized on;
    at another, the same model and history calibrated for that quantile (``band``)."""
    if last is None:
        raise ForecastUnavailable(f"{spec.name} has not completed a cycle yet")
    policy = spec.policy
    forecast = last.decision.forecast
    if quantile is not None and abs(quantile - policy.quantile) > 1e-9:
        policy = replace(policy, quantile=quantile)
        if forecast is not None:
            forecast = band(quantile=quantile, horizon=len(forecast.mean))
    previous = last.decision.plan
    return plan(PlanInputs(
        target=spec.name, policy=policy, now=now, mode=previous.mode,
        mode_reason=previous.mode_reason, reactive=previous.reactive, forecast=forecast,
        previous_floor=previous.floor, object_max=last.capacity.max_replicas,
        **hysteresis(now),
    ))  # fmt: skip


def _ts(value: object) -> datetime | None:
    to_py = getattr(value, "to_pydatetime", None)
    return to_py() if callable(to_py) else None
