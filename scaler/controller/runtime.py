"""One target's state in the controller, and one control cycle for it.

observe the scaled object -> fetch the newest load -> refit when due -> forecast (cheap update) ->
plan (`TargetPolicy`, the same one the trace replay runs) -> actuate the floor -> record.
Everything that can fail for one target is caught by the `Controller` and never stops the others.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from forescale.models.base import Forecast
from forescale.scaler.actuators.base import Actuator
from forescale.scaler.controller.schedule import SchedulePublisher, floors_from_forecast
from forescale.scaler.domain import ActuationResult, Capacity, CapacityPlan, Mode, TargetSpec
from forescale.scaler.errors import ForecastUnavailable, MetricsError, ScalerError
from forescale.scaler.forecasting.engine import RefitPolicy, TargetForecaster
from forescale.scaler.forecasting.promoted import ModelFollower
from forescale.scaler.hpa.behavior import HpaBehavior
from forescale.scaler.hpa.controller import Hpa
from forescale.scaler.hpa.metrics import load_metric
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.metrics.history import load_history
from forescale.scaler.modelstore.base import ModelStore
from forescale.scaler.planning.band import calibrated_band
from forescale.scaler.planning.fallback import FallbackSettings, Health, Issue, advance
from forescale.scaler.planning.planner import PlanInputs, plan
from forescale.scaler.planning.policy import Decision, PolicySettings, TargetPolicy

__all__ = ["CycleOutcome", "RuntimeSettings", "TargetRuntime"]

log = logging.getLogger(__name__)

WARM_TAIL = 500
"""Samples of a freshly loaded history fed to the policy (enough for its running level)."""
SCHEDULE_EVERY = timedelta(minutes=15)
SCHEDULE_HORIZON = timedelta(hours=3)
SCHEDULE_BUCKET = timedelta(minutes=15)


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeSettings:
    fallback: FallbackSettings = FallbackSettings()
    refit: RefitPolicy = RefitPolicy()
    forecast_horizon: timedelta = timedelta(hours=1)
    """How far each cycle's forecast reaches (published to the API and status)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleOutcome:
    decision: Decision
    capacity: Capacity
    load: float | None
    actuation: ActuationResult | None
    dry_run: bool
    refit_reason: str | None


class TargetRuntime:
    """Everything the controller keeps for one target between cycles."""

    def __init__(
        self,
        spec: TargetSpec,
        *,
        settings: RuntimeSettings | None = None,
        models: ModelStore | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings or RuntimeSettings()
        self.policy = TargetPolicy(spec, settings=PolicySettings(fallback=self.settings.fallback))
        horizon = max(self.policy.horizon, math.ceil(self.settings.forecast_horizon / spec.step))
        self.forecaster = TargetForecaster(
            spec.model, step=spec.step, horizon=horizon, refit=self.settings.refit,
            events=spec.events,
        )  # fmt: skip
        self.models = (
            None if models is None
            else ModelFollower(models, target=str(spec.name), step=spec.step,
                               horizon=self.policy.horizon, events=spec.events)
        )  # fmt: skip
        """Follows the promoted model in the store (and shadows a newer candidate)."""
        self.hpa = Hpa(behavior=HpaBehavior.default())  # shadow: what the HPA alone would do
        self.history = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
        self.last: CycleOutcome | None = None
        self.last_forecast: Forecast | None = None
        """The newest forecast, with the band its floor was sized on (`calibrated_band`)."""
        self.last_error: str | None = None
        self.paused = False
        self.applied = False
        """True once a floor was written (so a later release has something to restore)."""
        self._problem: Health | None = None
        self._schedule_at: datetime | None = None
        self._scheduled = False

    # -- the cycle ----------------------------------------------------------------------------
    def fetch(
        self, source: MetricsSource, *, now: datetime, last: int | None = None
    ) -> list[tuple[datetime, float | None]]:
        """New samples since the last fetch (the whole history window on the first call), all
        kept in ``history``; only the ``last`` ones are returned when given (converting 40,000
        samples to Python objects one by one was the whole cost of a warm start)."""
        step = self.spec.step
        end = pd.Timestamp(now).floor(step).to_pydatetime()
        if self.history.empty:
            start = end - self.spec.history
            fresh = load_history(
                source,
                query=self.spec.query,
                start=start,
                end=end,
                step=step,
                history_query=self.spec.history_query,
            )
        else:
            start = self.history.index[-1].to_pydatetime() + step
            if start > end:
                return []
            fresh = source.range_query(self.spec.query, start=start, end=end, step=step)
        if fresh.empty:
            return []
        fresh = fresh.astype(float)
        if self.history.empty or fresh.index[0] > self.history.index[-1]:
            combined = pd.concat([self.history, fresh]) if not self.history.empty else fresh
        else:  # overlapping answer (e.g. a re-read window): newest values win
            combined = pd.concat([self.history, fresh])
            combined = combined[~combined.index.duplicated(keep="last")].sort_index()
        cutoff = pd.Timestamp(end) - pd.Timedelta(self.spec.history)
        if combined.index[0] <= cutoff:
            combined = combined.loc[combined.index > cutoff]
        self.history = combined
        if last is not None:
            fresh = fresh.iloc[-last:]
        values = fresh.to_numpy(dtype=float)
        return [
            (ts.to_pydatetime(), None if not np.isfinite(v) else float(v))
            for ts, v in zip(fresh.index, values, strict=True)
        ]

    def cycle(
        self,
        *,
        now: datetime,
        source: MetricsSource,
        actuator: Actuator,
        may_refit: bool,
        dry_run: bool,
    ) -> CycleOutcome:
        self.last_error = None
        capacity = actuator.observe(self.spec.ref)
        held_back = self.spec.forecast_only or self.paused
        if not held_back and capacity.min_replicas != capacity.baseline_min_replicas:
            self.applied = True  # raised by an earlier process or leader: ours to give back
        try:
            # Warm start: nothing was forecast for the loaded history, so only its tail
            # matters to the policy (the recent level, and actuals later forecasts meet).
            samples = self.fetch(source, now=now, last=WARM_TAIL if self.history.empty else None)
            for at, value in samples:
                self.policy.observe(at, value)
                if self.models is not None:
                    self.models.observe(at, value)
        except MetricsError as exc:
            self.last_error = f"metrics: {exc}"  # stale data: the policy degrades on its own
        except Exception as exc:  # noqa: BLE001 - a reply we could not read is a failed fetch
            log.exception("%s: reading the load failed", self.spec.name)
            self.last_error = f"metrics: {type(exc).__name__}: {exc}"
        if self.models is not None:
            self.models.sync(self.forecaster, now=now)
            self.last_error = self.last_error or self.models.error
        refit_reason = self._maybe_refit(now=now, allowed=may_refit)
        forecast = self._forecast()
        if self.models is not None:
            self.models.step_shadow(history=self.history, production=forecast)
        load = self.latest_load()
        reactive, reason = self._reactive(now=now, capacity=capacity, load=load)
        decision = self.policy.decide(
            now=now, reactive=reactive, reactive_reason=reason, forecast=forecast,
            forecast_problem=None if forecast is not None else self._problem,
            object_max=capacity.max_replicas,
        )  # fmt: skip
        if forecast is not None:
            self.last_forecast = decision.forecast
        dry = dry_run or held_back
        actuation: ActuationResult | None
        if held_back and self.applied and not dry_run:  # paused, or now ForecastOnly: once
            why = "the target is paused" if self.paused else "the target is ForecastOnly"
            actuation = self.release(actuator, reason=f"floor restored: {why}", dry_run=False)
        else:
            actuation = self._actuate(actuator, decision, dry_run=dry)
        self._publish_schedule(actuator, decision, now=now, dry_run=dry)
        outcome = CycleOutcome(
            decision=decision,
            capacity=capacity,
            load=load,
            actuation=actuation,
            dry_run=dry,
            refit_reason=refit_reason,
        )
        self.last = outcome
        return outcome

    def fail(self, exc: BaseException, *, actuator: Actuator | None, dry_run: bool) -> str:
        """A cycle that raised is a troubled cycle like any other: the fallback machine counts
        it, and once the target is reactive its floor is given back (best effort; retried on the
        next failing cycle). Never a frozen target that keeps its last mode and floor."""
        message = f"{type(exc).__name__}: {exc}"
        self.last_error = message
        health = Health(issue=Issue.CYCLE_FAILURE, detail=message)
        self.policy.state = advance(self.policy.state, health, self.policy.settings.fallback)
        if self.policy.state.mode is Mode.REACTIVE and self.applied and actuator is not None:
            try:
                self.release(
                    actuator, reason=f"floor restored: {self.policy.state.reason}", dry_run=dry_run
                )
            except Exception as err:  # noqa: BLE001 - the next failing cycle tries again
                log.error("%s: could not restore the floor: %s", self.spec.name, err)
        return message

    def release(self, actuator: Actuator, *, reason: str, dry_run: bool) -> ActuationResult:
        result = actuator.release(self.spec.ref, reason=reason, dry_run=dry_run)
        if not dry_run:
            self.applied = False
        self._clear_schedule(actuator, dry_run=dry_run)
        return result

    def _publish_schedule(
        self, actuator: Actuator, decision: Decision, *, now: datetime, dry_run: bool
    ) -> None:
        """ASG targets with ``publishSchedule``: keep the coming floors as scheduled actions."""
        if not self.spec.publish_schedule or not isinstance(actuator, SchedulePublisher):
            return
        if decision.plan.mode is Mode.REACTIVE or self.forecaster.model is None:
            self._clear_schedule(actuator, dry_run=dry_run)
            return
        if self._schedule_at is not None and now - self._schedule_at < SCHEDULE_EVERY:
            return
        steps = math.ceil(SCHEDULE_HORIZON / self.spec.step)
        try:
            fc = self.band(quantile=self.spec.policy.quantile, horizon=steps)
        except ForecastUnavailable:
            return
        floors = floors_from_forecast(fc, policy=self.spec.policy, bucket=SCHEDULE_BUCKET)
        try:
            actuator.publish_schedule(self.spec.ref, floors, now=now, dry_run=dry_run)  # type: ignore[arg-type]
        except ScalerError as exc:
            self.last_error = f"schedule: {exc}"
            return
        self._schedule_at = now
        self._scheduled = self._scheduled or not dry_run

    def _clear_schedule(self, actuator: Actuator, *, dry_run: bool) -> None:
        if not self._scheduled or not isinstance(actuator, SchedulePublisher):
            return
        try:
            actuator.clear_schedule(self.spec.ref, dry_run=dry_run)  # type: ignore[arg-type]
        except ScalerError as exc:
            self.last_error = f"schedule: {exc}"
            return
        if not dry_run:
            self._scheduled, self._schedule_at = False, None

    # -- pieces -------------------------------------------------------------------------------
    def latest_load(self) -> float | None:
        finite = self.history.dropna()
        return None if finite.empty else float(finite.iloc[-1])

    def _maybe_refit(self, *, now: datetime, allowed: bool) -> str | None:
        observed = int(self.history.notna().sum())
        poor = self.policy.state.reason.startswith(Issue.POOR_QUALITY.value)
        why = self.forecaster.due(now=now, available=observed, poor_quality=poor)
        if why is None:
            if self.forecaster.model is None:
                self._problem = self.forecaster.no_history(observed)
            return None
        if not allowed:  # over this cycle's fit budget: next cycle
            if self.forecaster.model is None:
                self._problem = Health(
                    issue=Issue.NO_MODEL_YET, detail="its first fit waits for the fit budget"
                )
            return None
        self._problem = self.forecaster.fit(self.history, now=now)
        return why

    def _forecast(self) -> Forecast | None:
        if self.forecaster.model is None or self.history.empty:
            return None
        q = self.spec.policy.quantile
        result = self.forecaster.forecast(self.context(), quantiles=tuple(sorted({0.1, q})))
        if isinstance(result, Health):
            self._problem = result
            return None
        return result

    def band(self, *, quantile: float, horizon: int | None = None) -> Forecast:
        """A forecast from the fitted model and the newest history, ``horizon`` steps ahead
        (default: the cycle's), with its ``quantile`` band exactly as a floor sized now would
        use it (`calibrated_band`): what the API shows and an ASG schedule is published from.
        `ForecastUnavailable` when there is no model or it fails."""
        if self.forecaster.model is None or self.history.empty:
            raise ForecastUnavailable(
                f"{self.spec.name} has no fitted model yet ({self.policy.state.reason})"
            )
        fc = self.forecaster.forecast(
            self.context(), horizon=horizon, quantiles=tuple(sorted({0.1, quantile}))
        )
        if isinstance(fc, Health):
            raise ForecastUnavailable(f"{self.spec.name}: {fc.describe()}")
        return calibrated_band(fc, ledger=self.policy.ledger, quantile=quantile)

    def dry_run(self, *, now: datetime, quantile: float | None = None) -> CapacityPlan:
        """What the last cycle would have decided at ``now`` sized on ``quantile`` (default: the
        spec's); writes nothing. At the spec's quantile the band is the one the floor was sized
        on; at another, the same model and history calibrated for that quantile."""
        last = self.last
        if last is None:
            raise ForecastUnavailable(f"{self.spec.name} has not completed a cycle yet")
        policy = self.spec.policy
        forecast = last.decision.forecast
        if quantile is not None and abs(quantile - policy.quantile) > 1e-9:
            policy = dataclasses.replace(policy, quantile=quantile)
            if forecast is not None:
                forecast = self.band(quantile=quantile, horizon=len(forecast.mean))
        previous = last.decision.plan
        return plan(PlanInputs(
            target=self.spec.name, policy=policy, now=now, mode=previous.mode,
            mode_reason=previous.mode_reason, reactive=previous.reactive, forecast=forecast,
            previous_floor=previous.floor, object_max=last.capacity.max_replicas,
        ))  # fmt: skip

    def context(self) -> pd.Series:
        """The observations since the model's training data ended: a fitted model keeps what it
        needs of older history, so the cheap update only has to see what is new."""
        end = getattr(self.forecaster.model, "train_end_", None)
        if end is None:
            return self.history
        start = int(self.history.index.searchsorted(end))
        recent: pd.Series = self.history.iloc[start:]
        return recent

    def _reactive(
        self, *, now: datetime, capacity: Capacity, load: float | None
    ) -> tuple[int, str]:
        p = self.spec.policy
        metric = load_metric(
            load,
            capacity_per_replica=p.capacity_per_replica,
            target_utilization=p.target_utilization,
        )
        low = max(0, min(capacity.baseline_min_replicas, capacity.max_replicas))
        current = max(capacity.current_replicas, low, 1)
        decision = self.hpa.reconcile(
            now=now,
            current_replicas=current,
            min_replicas=low,
            max_replicas=max(capacity.max_replicas, low, 1),
            metrics=(metric,),
        )
        return decision.replicas, f"reactive says {decision.replicas} ({decision.reason})"

    def _actuate(
        self, actuator: Actuator, decision: Decision, *, dry_run: bool
    ) -> ActuationResult | None:
        plan = decision.plan
        if plan.floor is None:
            if not self.applied:
                return None
            return self.release(actuator, reason=plan.explain(), dry_run=dry_run)
        result = actuator.apply_floor(
            self.spec.ref, plan.floor, reason=plan.explain(), dry_run=dry_run
        )
        if result.changed:
            self.applied = True
        return result
