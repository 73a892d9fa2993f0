"""`TargetPolicy`: everything stateful about deciding for one target, shared by the controller and
the simulator so that what is replayed is exactly what runs.

Per cycle the caller feeds the newest observations (`observe`), then asks for a decision with the
model's mean forecast (or why there is none). The policy scores past forecasts against the actuals
(`ForecastLedger`), calibrates the quantile it sizes on from those live errors, judges live
quality, advances the fallback state machine, and plans. Pure: ``now`` is always passed in.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypedDict

import numpy as np

from forescale.models.base import Forecast
from forescale.scaler.domain import CapacityPlan, Mode, ScalingPolicy, TargetSpec
from forescale.scaler.planning.band import calibrated_band
from forescale.scaler.planning.fallback import (
    STARTING,
    FallbackSettings,
    Health,
    Issue,
    QualityJudge,
    advance,
)
from forescale.scaler.planning.hysteresis import FloorHysteresis, Proposals
from forescale.scaler.planning.ledger import AccuracySnapshot, ForecastLedger
from forescale.scaler.planning.planner import PlanInputs, plan

__all__ = ["Decision", "HysteresisInputs", "PolicySettings", "TargetPolicy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySettings:
    fallback: FallbackSettings = field(default_factory=FallbackSettings)
    calibration_window: timedelta = timedelta(days=1)
    """How far back live errors calibrate the sized quantile (in scored forecasts per step)."""
    min_calibration: int = 30
    """Scored forecasts per horizon step before live calibration replaces the model's own band."""
    max_forecast_age: timedelta = timedelta(minutes=10)
    """On a transient model failure the last forecast is reused (degraded) while this young."""
    max_data_age: timedelta | None = None
    """Newest sample older than this is stale (default: two steps plus the decision interval)."""
    floor_stabilization: timedelta | None = None
    """A lower floor takes effect only once every floor planned in this window is lower too
    (default: the lead time, since those floors were sized for times still ahead)."""
    floor_hysteresis: FloorHysteresis = field(default_factory=FloorHysteresis)
    """Dead band and persistence so that a wobbling forecast does not rewrite the floor every
    cycle (`FloorHysteresis.off()`: every change is written)."""


class HysteresisInputs(TypedDict):
    hysteresis: FloorHysteresis
    recent_proposals: tuple[int | None, ...]
    proposals_persisted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    plan: CapacityPlan
    health: Health
    accuracy: AccuracySnapshot
    forecast: Forecast | None
    """The forecast the plan was sized on, with the calibrated quantile."""


class TargetPolicy:
    """Decides one target's floor each cycle; see the module docstring."""

    def __init__(
        self,
        spec: TargetSpec,
        *,
        settings: PolicySettings | None = None,
        unit: str = "",
        explain: bool = True,
    ) -> None:
        self.spec = spec
        self.explain = explain
        """Format the plan's reasons (off in trace replay: same numbers, no text)."""
        self.settings = settings or PolicySettings()
        self.unit = unit
        step = spec.step
        p = spec.policy
        self.horizon = max(1, math.ceil((p.lead_time + p.interval) / step - 1e-9))
        self.lead_steps = max(1, math.ceil(p.lead_time / step - 1e-9))
        window = max(
            self.settings.min_calibration * 2, int(self.settings.calibration_window / step)
        )
        self.ledger = ForecastLedger(
            step=step, horizon=self.horizon, window=window, min_scored=self.settings.min_calibration
        )
        self._judge = QualityJudge(self.settings.fallback)
        self.state = STARTING
        self._last_plan: CapacityPlan | None = None
        self._last_forecast: Forecast | None = None
        self._last_sample: datetime | None = None
        self._sized: deque[tuple[datetime, int]] = deque()
        self._proposals = Proposals(self.settings.floor_hysteresis.persistence)
        self._max_age = self.settings.max_data_age or (2 * step + p.interval)
        self._off_reason: str | None = None

    def retune(self, policy: ScalingPolicy, *, predictive_off: str | None = None) -> None:
        """Decide with ``policy`` from now on (the tuner's choice of quantile, lead time and
        target utilisation). ``predictive_off``: why no floor is set at all (forecasting did not
        pay on this target's history); the fallback state machine keeps running underneath, so
        health is still judged and reported."""
        self.spec = replace(self.spec, policy=policy)
        self._off_reason = predictive_off

    @property
    def predictive_off(self) -> str | None:
        return self._off_reason

    @property
    def last_plan(self) -> CapacityPlan | None:
        return self._last_plan

    @property
    def last_sample(self) -> datetime | None:
        """Time of the newest observed (non-gap) load sample."""
        return self._last_sample

    def observe(self, at: datetime, load: float | None) -> None:
        """An actual load sample (None/NaN: a gap). Scores every forecast that predicted ``at``."""
        if load is not None and np.isfinite(load):
            self._last_sample = at if self._last_sample is None else max(self._last_sample, at)
        self.ledger.observe(at, load)

    def accuracy(self) -> AccuracySnapshot:
        return self.ledger.accuracy(self.lead_steps)

    def decide(
        self,
        *,
        now: datetime,
        reactive: int,
        reactive_reason: str = "",
        forecast: Forecast | None = None,
        forecast_problem: Health | None = None,
        object_max: int | None = None,
        origin: datetime | None = None,
    ) -> Decision:
        """The plan for ``now``. ``forecast``: the model's forecast from the newest data (mean;
        quantiles optional); ``forecast_problem``: why there is none (no history, model failure);
        ``origin``: the newest observation the forecast was made from (default: one step before
        its first point)."""
        sized: Forecast | None
        if forecast is not None:
            sized = self._calibrate(forecast)
            # Scored from its true origin (the newest observation), which may precede ``now``.
            if origin is None:
                origin = forecast.index[0].to_pydatetime() - self.spec.step
            # The under-forecast rate judges the live-calibrated band only: before calibration
            # the model's own band is in use, and its misses are what calibration fixes.
            upper = (
                sized.quantile(self.spec.policy.quantile) if self.ledger.is_calibrated() else None
            )
            self.ledger.record_forecast(origin, forecast.mean, upper)
            self._last_forecast = sized
        else:
            sized = self._reusable_forecast(now)
        accuracy = self.accuracy()
        health = self._health(now, forecast, forecast_problem, accuracy)
        self.state = advance(self.state, health, self.settings.fallback)
        previous = self._last_plan.floor if self._last_plan is not None else None
        mode, reason = self.state.mode, self.state.reason
        if self._off_reason is not None and mode is not Mode.REACTIVE:
            mode, reason = Mode.REACTIVE, self._off_reason
        result = plan(PlanInputs(
            target=self.spec.name, policy=self.spec.policy, now=now, mode=mode,
            mode_reason=reason, reactive=reactive, reactive_reason=reactive_reason,
            forecast=sized, previous_floor=previous, object_max=object_max, unit=self.unit,
            recent_floor=self._recent_floor(now), explain=self.explain,
            **self.hysteresis_inputs(now),
        ))  # fmt: skip
        if result.sized is not None:
            self._sized.append((now, result.sized))
        self._proposals.add(now, result.proposed)
        self._last_plan = result
        return Decision(plan=result, health=health, accuracy=accuracy, forecast=sized)

    def hysteresis_inputs(self, now: datetime) -> HysteresisInputs:
        """What the planner needs to settle a floor at ``now`` (`PlanInputs` fields)."""
        recent, persisted = self._proposals.window(now, interval=self.spec.policy.interval)
        return {
            "hysteresis": self.settings.floor_hysteresis,
            "recent_proposals": recent,
            "proposals_persisted": persisted,
        }

    def _recent_floor(self, now: datetime) -> int | None:
        """Highest floor sized within the stabilization window before ``now``."""
        window = self.settings.floor_stabilization
        if window is None:
            window = self.spec.policy.lead_time
        sized = self._sized
        while sized and sized[0][0] <= now - window:
            sized.popleft()
        return max((n for _, n in sized), default=None)

    def _health(
        self,
        now: datetime,
        forecast: Forecast | None,
        problem: Health | None,
        accuracy: AccuracySnapshot,
    ) -> Health:
        if problem is not None and problem.issue is Issue.NO_HISTORY:
            return problem
        if self._last_sample is None or now - self._last_sample > self._max_age:
            seen = "never" if self._last_sample is None else f"at {self._last_sample:%H:%M}"
            return Health(issue=Issue.STALE_DATA, detail=f"newest sample {seen}")
        if forecast is None:
            return problem or Health(issue=Issue.MODEL_FAILURE, detail="no forecast")
        return self._judge.judge(accuracy, quantile=self.spec.policy.quantile)

    def _reusable_forecast(self, now: datetime) -> Forecast | None:
        last = self._last_forecast
        if last is None or len(last.index) == 0:
            return None
        issued = last.index[0].to_pydatetime() - self.spec.step
        if now - issued > self.settings.max_forecast_age:
            return None
        return last

    def _calibrate(self, forecast: Forecast) -> Forecast:
        return calibrated_band(forecast, ledger=self.ledger, quantile=self.spec.policy.quantile)
