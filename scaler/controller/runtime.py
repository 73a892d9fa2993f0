"""One target in the controller: one control cycle for it, and what the API asks of it.

A cycle runs in three phases so that no lock is ever held across network I/O and the loop can
run the outside reads of many targets at once:

1. `gather` (I/O): observe the scaled object, fetch the newest load, follow the model store.
   Touches only this target, so many targets can gather concurrently.
2. `decide` (CPU, under the `Prediction`'s lock): merge the samples, refit when due (the fit
   runs outside the lock), forecast, plan with `TargetPolicy` (the policy the replay runs).
3. `act` (I/O): write or release the floor (and a tuned HPA target, by consent:
   `TunedTarget`), publish an ASG schedule. Each write asks ``may_write`` right before it is
   made (the Lease may have lapsed since the cycle began).

After each change the target's `status` snapshot is replaced whole: the API reads snapshots and
never waits for a cycle. What the API may do goes through narrow methods (`band`, `dry_run`,
`retrain`, `adopt`, `set_paused`). Everything that can fail for one target is caught by the
`Controller` and counted by `fail`; it never stops the others.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd

from forescale.models.base import BaseForecaster, Forecast
from forescale.models.persistence import ModelCard
from forescale.scaler.actuators.base import Actuator
from forescale.scaler.controller.outcome import (
    CycleOutcome,
    Decided,
    Gathered,
    always,
    replan,
    target_status,
)
from forescale.scaler.controller.prediction import Prediction, RuntimeSettings
from forescale.scaler.controller.schedule import ScheduleKeeper
from forescale.scaler.controller.shadow import ReactiveShadow
from forescale.scaler.controller.steps import StepTimer, timed
from forescale.scaler.controller.tuned_target import TunedTarget
from forescale.scaler.controller.view import TargetStatus
from forescale.scaler.domain import (
    ActuationResult,
    AsgRef,
    CapacityPlan,
    Mode,
    TargetSpec,
)
from forescale.scaler.errors import ForecastUnavailable, MetricsError
from forescale.scaler.forecasting.promoted import ModelFollower
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.modelstore.base import ModelStore
from forescale.scaler.planning.fallback import Health, Issue
from forescale.scaler.planning.policy import Decision

__all__ = ["CycleOutcome", "Decided", "Gathered", "RuntimeSettings", "TargetRuntime"]

log = logging.getLogger(__name__)


class TargetRuntime:
    """Everything the controller keeps for one target between cycles; see the module doc."""

    def __init__(
        self,
        spec: TargetSpec,
        *,
        settings: RuntimeSettings | None = None,
        models: ModelStore | None = None,
        step_timer: StepTimer | None = None,
    ) -> None:
        self._spec = spec
        self.step_timer = step_timer
        self._prediction = Prediction(spec, settings=settings or RuntimeSettings(), models=models)
        self._shadow = ReactiveShadow(spec.name)  # what the target's HPA alone would do
        self._last: CycleOutcome | None = None
        self._last_error: str | None = None
        self._paused = False
        self._applied = False  # a floor or tuned target of ours is (or may be) on the object
        self._schedule = ScheduleKeeper()
        self._tuned = TunedTarget(spec)  # the tuned HPA target, written by consent only
        self._status = self._snapshot()

    # -- what others read ---------------------------------------------------------------------
    @property
    def spec(self) -> TargetSpec:
        return self._spec

    @property
    def last(self) -> CycleOutcome | None:
        """The newest completed cycle."""
        return self._last

    @property
    def last_forecast(self) -> Forecast | None:
        """The newest forecast, with the band its floor was sized on (`calibrated_band`)."""
        return self._prediction.last_forecast

    @property
    def last_error(self) -> str | None:
        return self._last_error

    @property
    def applied(self) -> bool:
        """A floor or tuned target of ours may be on the object: removal and shutdown undo it."""
        return self._applied

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def sized_quantile(self) -> float:
        """The quantile floors are sized on now (the spec's, or the tuner's choice)."""
        return self._prediction.policy.spec.policy.quantile

    @property
    def lead_steps(self) -> int:
        return self._prediction.policy.lead_steps

    @property
    def model(self) -> BaseForecaster | None:
        return self._prediction.forecaster.model

    @property
    def model_version(self) -> str | None:
        """The model-store version in use (None: fitted here)."""
        return self._prediction.forecaster.version

    @property
    def history(self) -> pd.Series:
        """The load history held (regular, NaN gaps); replaced whole, never changed in place."""
        return self._prediction.history.series

    @property
    def follower(self) -> ModelFollower | None:
        """The model-store follower, when a store is configured."""
        return self._prediction.follower

    def status(self) -> TargetStatus:
        """A snapshot, replaced whole after every change: reading it never waits for a cycle."""
        return self._status

    # -- the cycle ----------------------------------------------------------------------------
    def warm(self, source: MetricsSource, *, now: datetime) -> None:
        """Read the history window now (what the first `gather` does; benchmarks, tests)."""
        self._prediction.merge(self._prediction.fetch(source, now=now), now=now)

    @timed("gather")
    def gather(
        self, *, now: datetime, source: MetricsSource, actuator: Actuator,
        tick: float | None = None,
    ) -> Gathered:  # fmt: skip
        """Phase 1 (I/O): capacity, new samples, the model store's promoted model."""
        capacity = actuator.observe(self._spec.ref)
        fresh: pd.Series | None = None
        fetch_error: str | None = None
        try:
            fresh = self._prediction.fetch(source, now=now)
        except MetricsError as exc:
            fetch_error = f"metrics: {exc}"  # stale data: the policy degrades on its own
        except Exception as exc:  # noqa: BLE001 - a reply we could not read is a failed fetch
            log.exception("%s: reading the load failed", self._spec.name)
            fetch_error = f"metrics: {type(exc).__name__}: {exc}"
        store_error = self._prediction.sync_models(now=now)
        return Gathered(
            now=now, capacity=capacity, fresh=fresh, fetch_error=fetch_error,
            store_error=store_error, tick=tick,
        )  # fmt: skip

    @timed("decide")
    def decide(self, gathered: Gathered, *, may_refit: bool) -> Decided:
        """Phase 2 (CPU): merge, refit when due, forecast and plan."""
        now, capacity = gathered.now, gathered.capacity
        if (self._tuned.observed(capacity) or capacity.raised) and not self._held_back():
            self._applied = True  # written by an earlier process or leader: ours to give back
        self._last_error = gathered.fetch_error or gathered.store_error
        prediction = self._prediction
        prediction.merge(gathered.fresh, now=now)
        prediction.hpa_behavior = self._shadow.follow(capacity.hpa_behavior)  # tuned against it
        refit_reason = prediction.refit_if_due(now=now, allowed=may_refit, tick=gathered.tick)
        reactive, reason = self._shadow.recommend(  # at the HPA's target in force: tuned, or theirs
            now=now, capacity=capacity, load=prediction.history.latest(),
            capacity_per_replica=self._spec.policy.capacity_per_replica,
            target_utilization=self._tuned.utilization,
        )  # fmt: skip
        decision = prediction.decide(
            now=now, reactive=reactive, reactive_reason=reason, object_max=capacity.max_replicas
        )
        return Decided(gathered=gathered, decision=decision, refit_reason=refit_reason)

    @timed("act")
    def act(
        self,
        decided: Decided,
        *,
        actuator: Actuator,
        dry_run: bool,
        may_write: Callable[[], bool] = always,
    ) -> CycleOutcome:
        """Phase 3 (I/O): the floor and the schedule; each write asks ``may_write`` right
        before it is made."""
        now, decision = decided.gathered.now, decided.decision
        dry = dry_run or self._held_back()
        actuation: ActuationResult | None
        if self._held_back() and self._applied and not dry_run:  # paused or ForecastOnly: once
            why = "the target is paused" if self._paused else "the target is ForecastOnly"
            actuation = self._release(actuator, reason=f"floor restored: {why}",
                                      dry_run=not may_write())  # fmt: skip
        else:
            actuation = self._actuate(actuator, decision, dry_run=dry, may_write=may_write)
        self._applied |= self._tuned.keep(actuator, self._prediction, mode=decision.plan.mode,
                                          held_back=self._held_back(),
                                          dry_run=dry or not may_write())  # fmt: skip
        error = self._schedule.keep(
            actuator, self._spec, predictive=decision.plan.mode is not Mode.REACTIVE,
            band=lambda steps: self.band(quantile=self.sized_quantile, horizon=steps),
            now=now, dry_run=dry or not may_write(),
        )  # fmt: skip
        self._last_error = error or self._last_error
        outcome = CycleOutcome(
            decision=decision, capacity=decided.gathered.capacity,
            load=self._prediction.history.latest(), actuation=actuation,
            dry_run=dry or (actuation is not None and actuation.dry_run),
            refit_reason=decided.refit_reason, issued=self._prediction.issued(),
        )  # fmt: skip
        self._last = outcome
        self._status = self._snapshot()
        return outcome

    def fail(
        self,
        exc: BaseException,
        *,
        actuator: Actuator | None,
        dry_run: bool,
        may_write: Callable[[], bool] = always,
    ) -> str:
        """A cycle that raised is a troubled cycle like any other: the fallback machine counts
        it, and once the target is reactive its floor is given back (best effort; retried on the
        next failing cycle). Never a frozen target that keeps its last mode and floor."""
        message = f"{type(exc).__name__}: {exc}"
        self._last_error = message
        state = self._prediction.fail(Health(issue=Issue.CYCLE_FAILURE, detail=message))
        if state.mode is Mode.REACTIVE and self._applied and actuator is not None:
            try:
                self._release(
                    actuator, reason=f"floor restored: {state.reason}",
                    dry_run=dry_run or not may_write(),
                )  # fmt: skip
            except Exception as err:  # noqa: BLE001 - the next failing cycle tries again
                log.error("%s: could not restore the floor: %s", self._spec.name, err)
        self._status = self._snapshot()
        return message

    def release(
        self,
        actuator: Actuator,
        *,
        reason: str,
        dry_run: bool,
        may_write: Callable[[], bool] = always,
    ) -> ActuationResult:
        """Give the floor back (shutdown, removal, retargeting) and clear a schedule."""
        result = self._release(actuator, reason=reason, dry_run=dry_run or not may_write())
        self._status = self._snapshot()
        return result

    def set_paused(self, paused: bool) -> TargetStatus:
        """A paused target is decided and shown but not actuated; its floor goes back once."""
        self._paused = paused
        self._status = self._snapshot()
        return self._status

    def carry_over(self, previous: TargetRuntime) -> None:
        """What an edited spec keeps, so that tuning a target (its quantile, maximum, lead
        time) neither drops its floor back to reactive nor waits for a refit: the written floor
        belongs to the scaled object; history, fallback state and fitted model belong to the
        load query."""
        old, new = previous._spec, self._spec
        self._paused = previous._paused
        if old.ref == new.ref:
            self._applied = previous._applied
            self._shadow = previous._shadow
            self._tuned.carry_over(previous._tuned)
        if (old.query, old.history_query, old.step) == (new.query, new.history_query, new.step):
            self._prediction.carry_over(previous._prediction)
        self._status = self._snapshot()

    # -- what the API asks --------------------------------------------------------------------
    def band(self, *, quantile: float, horizon: int | None = None) -> Forecast:
        """A forecast with its ``quantile`` band as a floor sized now would use it (what the
        API shows, what an ASG schedule is published from); see `Prediction.band`."""
        return self._prediction.band(quantile=quantile, horizon=horizon)

    def dry_run(self, *, now: datetime, quantile: float | None = None) -> CapacityPlan:
        """What the last cycle would have decided at ``now`` sized on ``quantile`` (default: the
        spec's); writes nothing. At the spec's quantile the band is the one the floor was sized
        on; at another, the same model and history calibrated for that quantile."""
        return replan(self._spec, self._last, now=now, quantile=quantile, band=self.band,
                      hysteresis=self._prediction.hysteresis_inputs)  # fmt: skip

    def retrain(self, *, now: datetime) -> tuple[BaseForecaster, ModelCard]:
        """Refit now on the history held (the fit runs outside the lock); the new model and
        its card, or `ForecastUnavailable` saying why not."""
        problem = self._prediction.fit(now=now)
        card = self._prediction.model_card()
        if problem is not None or card is None:
            why = problem.describe() if problem is not None else "no model"
            raise ForecastUnavailable(f"{self._spec.name}: retrain failed: {why}")
        self._status = self._snapshot()
        return card

    def adopt(self, model: BaseForecaster, *, fitted_at: datetime, version: str | None) -> None:
        """Use ``model`` from now on (e.g. promoted in the model store)."""
        self._prediction.adopt(model, fitted_at=fitted_at, version=version)
        self._status = self._snapshot()

    def tuning(self, *, detail: bool = False) -> dict[str, Any] | None:
        """The newest self-tuning (``detail``: the frontier, every candidate), HPA target too."""
        report = self._prediction.tuning_report(detail=detail)
        return report and {**report, "hpaTarget": self._tuned.report(self._prediction.tuning)}

    def model_card(self) -> tuple[BaseForecaster, ModelCard] | None:
        """The model in use and its card (None before the first fit)."""
        return self._prediction.model_card()

    # -- pieces -------------------------------------------------------------------------------
    def _held_back(self) -> bool:
        return self._spec.forecast_only or self._paused

    def _actuate(
        self,
        actuator: Actuator,
        decision: Decision,
        *,
        dry_run: bool,
        may_write: Callable[[], bool],
    ) -> ActuationResult | None:
        plan_ = decision.plan
        if plan_.floor is None:
            if not self._applied:
                return None
            return self._release(actuator, reason=plan_.explain(),
                                 dry_run=dry_run or not may_write())  # fmt: skip
        dry = dry_run or not may_write()
        result = actuator.apply_floor(self._spec.ref, plan_.floor, reason=plan_.explain(),
                                      dry_run=dry)  # fmt: skip
        if result.changed and not dry:
            self._applied = True
        return result

    def _release(self, actuator: Actuator, *, reason: str, dry_run: bool) -> ActuationResult:
        result = actuator.release(self._spec.ref, reason=reason, dry_run=dry_run)
        if not dry_run:
            self._applied = False
            self._tuned.released()  # the target went back with the floor
        if isinstance(self._spec.ref, AsgRef):
            error = self._schedule.clear(actuator, self._spec.ref, dry_run=dry_run)
            self._last_error = error or self._last_error
        return result

    def _snapshot(self) -> TargetStatus:
        """The status the API shows, built once per change."""
        with self._prediction.lock:
            state, model = self._prediction.state, self._prediction.forecaster.model
            accuracy = self._prediction.policy.accuracy()
            off = self._prediction.policy.predictive_off
            tuning = self.tuning()
            policy = self._prediction.policy.spec.policy  # the tuner's, when it retuned
            spec = (  # replace() validates the spec again: only when the tuner changed it
                self._spec if policy is self._spec.policy
                else dataclasses.replace(self._spec, policy=policy)
            )  # fmt: skip
        if off is not None and state.mode is not Mode.REACTIVE:  # the tuner turned the floor off
            state = dataclasses.replace(state, mode=Mode.REACTIVE, reason=off)
        return target_status(
            spec, self._last, state=state, model=model, accuracy=accuracy,
            last_error=self._last_error, paused=self._paused, tuning=tuning,
        )  # fmt: skip
