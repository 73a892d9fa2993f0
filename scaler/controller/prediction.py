"""`Prediction`: what the controller knows and predicts about one target's load, behind one lock.

The load history, the fitted model (and the model-store follower), live calibration and the
fallback state machine (`TargetPolicy`). The cycle feeds it samples and asks for a decision; the
API asks it for bands and refits. Its lock is held for CPU work only: fetching (`fetch`) and
following the model store (`sync_models`) happen outside it, and a fit runs outside it on the
history as prepared under it, so the API never waits for a network call or a fit.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from forescale.models.base import BaseForecaster, Forecast
from forescale.models.persistence import ModelCard, make_card
from forescale.scaler.controller.history import NS_PER_UNIT, LoadHistory, utc_datetime
from forescale.scaler.domain import TargetSpec
from forescale.scaler.errors import ForecastUnavailable
from forescale.scaler.forecasting.engine import RefitPolicy, TargetForecaster, fit_model
from forescale.scaler.forecasting.promoted import ModelFollower
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.modelstore.base import ModelStore
from forescale.scaler.planning.band import calibrated_band
from forescale.scaler.planning.fallback import (
    FallbackSettings,
    FallbackState,
    Health,
    Issue,
    advance,
)
from forescale.scaler.planning.hysteresis import FloorHysteresis
from forescale.scaler.planning.policy import (
    Decision,
    HysteresisInputs,
    PolicySettings,
    TargetPolicy,
)
from forescale.scaler.tuning.config import SHADOW, TuningConfig
from forescale.scaler.tuning.record import ForecastRecord
from forescale.scaler.tuning.tuner import TuningResult

__all__ = ["Prediction", "RuntimeSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeSettings:
    fallback: FallbackSettings = FallbackSettings()
    refit: RefitPolicy = RefitPolicy()
    forecast_horizon: timedelta = timedelta(hours=1)
    """How far each cycle's forecast reaches (published to the API and status)."""
    tuning: TuningConfig = TuningConfig()
    """Self-tuning after each refit (`scaler.controller.tuning`)."""
    floor_hysteresis: FloorHysteresis = FloorHysteresis()
    """Dead band and persistence of each target's floor (`scaler.planning.hysteresis`)."""


class Prediction:
    def __init__(
        self, spec: TargetSpec, *, settings: RuntimeSettings, models: ModelStore | None
    ) -> None:
        self.spec = spec
        self.lock = threading.RLock()
        self.policy = TargetPolicy(
            spec,
            settings=PolicySettings(
                fallback=settings.fallback, floor_hysteresis=settings.floor_hysteresis
            ),
        )
        horizon = max(self.policy.horizon, math.ceil(settings.forecast_horizon / spec.step))
        self.forecaster = TargetForecaster(
            spec.model, step=spec.step, horizon=horizon, refit=settings.refit, events=spec.events
        )
        self.follower = (
            None if models is None
            else ModelFollower(models, target=str(spec.name), step=spec.step,
                               horizon=self.policy.horizon, events=spec.events)
        )  # fmt: skip
        """Follows the promoted model in the store (and shadows a newer candidate)."""
        self.history = LoadHistory(spec)
        self._step_ns = int(pd.Timedelta(spec.step).value)
        self.last_forecast: Forecast | None = None
        """The newest forecast, with the band its floor was sized on (`calibrated_band`)."""
        self._problem: Health | None = None
        self._tuning_config = replace(
            settings.tuning, mode=spec.tuning if settings.tuning.mode else None,
            objective=spec.objective,
        )  # fmt: skip
        self.record = ForecastRecord(
            step=spec.step, horizon=self.policy.horizon,
            steps=max(int(settings.tuning.window / spec.step), settings.tuning.min_window_steps),
        )  # fmt: skip
        self.tuning: TuningResult | None = None
        """The newest tuning: the setting in use and why (None before the first)."""
        self.tuned_at: datetime | None = None
        self.hpa_behavior: HpaBehavior = DEFAULT_BEHAVIOR
        """The target HPA's ``spec.behavior`` (as last read): tuning replays that HPA."""
        self._tune_pending = self._tuning_config.mode is not None
        """A tuning is owed without a refit (a spec edit kept the model but not the tuning)."""
        if self._tune_pending and self._tuning_config.shadow_start:
            self.policy.retune(spec.policy, predictive_off=SHADOW)

    @property
    def state(self) -> FallbackState:
        return self.policy.state

    # -- I/O, outside the lock -------------------------------------------------------------
    def fetch(self, source: MetricsSource, *, now: datetime) -> pd.Series | None:
        return self.history.fetch(source, now=now)

    def sync_models(self, *, now: datetime) -> str | None:
        """Adopt a newly promoted model (store I/O; adopting swaps references only)."""
        if self.follower is None:
            return None
        self.follower.sync(self.forecaster, now=now)
        return self.follower.error

    # -- the cycle ---------------------------------------------------------------------------
    def merge(self, fresh: pd.Series | None, *, now: datetime) -> None:
        with self.lock:
            for at, value in self.history.merge(fresh, now=now):
                self.policy.observe(at, value)
                if self.follower is not None:
                    self.follower.observe(at, value)

    def refit_if_due(
        self, *, now: datetime, allowed: bool, tick: float | None = None
    ) -> str | None:
        """Why a refit ran (None: none ran); over the cycle's budget it waits."""
        observed = self.history.observed()
        poor = self.policy.state.issue is Issue.POOR_QUALITY
        why = self.forecaster.due(now=now, available=observed, poor_quality=poor, tick=tick)
        if why is None:
            if self.forecaster.model is None:
                self._problem = self.forecaster.no_history(observed)
            elif self._tune_pending and allowed:
                self._retune(now)
            return None
        if not allowed:
            if self.forecaster.model is None:
                self._problem = Health(
                    issue=Issue.NO_MODEL_YET, detail="its first fit waits for the fit budget"
                )
            return None
        self._problem = self.fit(now=now, tick=tick)
        if self._problem is None:
            self._retune(now)
        return why

    def _retune(self, now: datetime) -> None:
        """Copy the window under the lock, tune outside it (up to a second of CPU the API need
        not wait for, like a fit), apply under it."""
        from forescale.scaler.controller import tuning

        config, step, base = self._tuning_config, self.spec.step, self.spec.policy
        self._tune_pending = False
        with self.lock:
            previous = None if self.tuning is None else self.tuning.setting
            history, forecaster = self.history.series, self.forecaster
            window, means = tuning.recent(history, self.record, config=config, step=step)
        filled = tuning.backfill(
            history, means, forecaster, config=config, step=step, quantile=base.quantile
        )
        result = tuning.tune_window(
            window, filled, base=base, config=config, step=step, previous=previous,
            behavior=self.hpa_behavior,
        )  # fmt: skip
        with self.lock:
            if filled is not means:
                self.record.fill(pd.DatetimeIndex(window.index), filled)
            if result is not None:
                tuning.apply(result, policy=self.policy, base=base, step=step, now=now)
                self.tuning, self.tuned_at = result, now

    def tuning_report(self, *, detail: bool = False) -> dict[str, Any] | None:
        """The newest tuning as the status/API show it (None before the first)."""
        from forescale.scaler.tuning.report import tuning_detail, tuning_status

        with self.lock:
            result, at = self.tuning, self.tuned_at
        if result is None or at is None:
            return None
        report = tuning_detail if detail else tuning_status
        return report(result, at=at, objective=self.spec.objective)

    def decide(
        self, *, now: datetime, reactive: int, reactive_reason: str, object_max: int
    ) -> Decision:
        with self.lock:
            forecast = self._forecast()
            if self.follower is not None and self.follower.shadow is not None:
                self.follower.step_shadow(history=self.history.series, production=forecast)
            origin = None if forecast is None else self._origin(forecast)
            decision = self.policy.decide(
                now=now, reactive=reactive, reactive_reason=reactive_reason, forecast=forecast,
                forecast_problem=None if forecast is not None else self._problem,
                object_max=object_max, origin=origin,
            )  # fmt: skip
            if forecast is not None and origin is not None:
                self.last_forecast = decision.forecast
                self.record.record(origin, forecast.mean)
            return decision

    def fail(self, health: Health) -> FallbackState:
        """Count a troubled cycle that made no decision (it raised)."""
        with self.lock:
            self.policy.state = advance(self.policy.state, health, self.policy.settings.fallback)
            return self.policy.state

    def hysteresis_inputs(self, now: datetime) -> HysteresisInputs:
        """The floor hysteresis state at ``now`` (for the API's dry run, under the lock)."""
        with self.lock:
            return self.policy.hysteresis_inputs(now)

    def issued(self) -> tuple[float, float] | None:
        """(mean, sized quantile) forecast ``lead`` steps before the newest sample."""
        with self.lock:
            return self.policy.ledger.issued_for(self.policy.last_sample, self.policy.lead_steps)

    # -- models ------------------------------------------------------------------------------
    def band(self, *, quantile: float, horizon: int | None = None) -> Forecast:
        """A forecast from the fitted model and the newest history, ``horizon`` steps ahead
        (default: the cycle's), with its ``quantile`` band exactly as a floor sized now would
        use it (`calibrated_band`). `ForecastUnavailable` when there is no model or it fails."""
        with self.lock:
            if self.forecaster.model is None or self.history.empty:
                raise ForecastUnavailable(
                    f"{self.spec.name} has no fitted model yet ({self.policy.state.reason})"
                )
            fc = self.forecaster.forecast(
                self._context(), horizon=horizon, quantiles=tuple(sorted({0.1, quantile}))
            )
            if isinstance(fc, Health):
                raise ForecastUnavailable(f"{self.spec.name}: {fc.describe()}")
            return calibrated_band(fc, ledger=self.policy.ledger, quantile=quantile)

    def fit(self, *, now: datetime, tick: float | None = None) -> Health | None:
        """Prepare under the lock, fit outside it (seconds of CPU the API need not wait for),
        install under it; None on success, else why not."""
        with self.lock:
            forecaster = self.forecaster
            prepared = forecaster.prepare(self.history.series, now=now)
            model = forecaster.new_model()
        result: BaseForecaster | Health = (
            prepared if isinstance(prepared, Health) else (fit_model(model, prepared))
        )
        fitted_len = 0 if isinstance(prepared, Health) else len(prepared)
        with self.lock:
            return forecaster.install(result, now=now, fitted_len=fitted_len, tick=tick)

    def adopt(self, model: BaseForecaster, *, fitted_at: datetime, version: str | None) -> None:
        with self.lock:
            self.forecaster.adopt(model, fitted_at=fitted_at, version=version)

    def model_card(self) -> tuple[BaseForecaster, ModelCard] | None:
        """The model in use and its card (None before the first fit)."""
        with self.lock:
            model, fitted = self.forecaster.model, self.forecaster.fitted_at
            if model is None or fitted is None:
                return None
            return model, make_card(model, self.history.series.dropna(), created_at=fitted)

    def carry_over(self, previous: Prediction) -> None:
        """Keep ``previous``'s history, fallback state and (same model, same horizon) fitted
        model: the caller checked that both read the same load."""
        old, new = previous.spec, self.spec
        with previous.lock, self.lock:
            self.history.series = previous.history.series  # no need to reload what we have
            self.policy.state = previous.policy.state
            newest = previous.history.newest_sample()
            if newest is not None:  # the new policy's data is as fresh as the old one's
                self.policy.observe(*newest)
            same_model = (old.model, old.events) == (new.model, new.events)
            if same_model and previous.forecaster.horizon == self.forecaster.horizon:
                self.forecaster = previous.forecaster
            if previous.tuning is not None and (old.policy, old.objective, old.tuning) == (
                new.policy,
                new.objective,
                new.tuning,
            ):  # an edit elsewhere keeps the tuned setting; one that touches it waits to retune
                self.tuning, self.tuned_at = previous.tuning, previous.tuned_at
                self.policy.retune(
                    previous.policy.spec.policy, predictive_off=previous.policy.predictive_off
                )
                self._tune_pending = previous._tune_pending
            if previous.record.horizon == self.record.horizon and old.step == new.step:
                self.record = previous.record  # the tuner's week of forecasts survives an edit

    # -- pieces ------------------------------------------------------------------------------
    def _forecast(self) -> Forecast | None:
        if self.forecaster.model is None or self.history.empty:
            return None
        q = self.policy.spec.policy.quantile
        values, start_ns = self.history.recent(getattr(self.forecaster.model, "train_end_", None))
        result = self.forecaster.forecast_recent(
            values, start_ns=start_ns, quantiles=tuple(sorted({0.1, q}))
        )
        if isinstance(result, Health):
            self._problem = result
            return None
        return result

    def _origin(self, forecast: Forecast) -> datetime:
        """One step before the forecast's first point: the newest observation it was made
        from (what the policy would compute, without boxing an index element as a
        Timestamp)."""
        index = forecast.index
        first_ns = int(index.asi8[0]) * NS_PER_UNIT[index.unit]
        return utc_datetime(first_ns - self._step_ns)

    def _context(self) -> pd.Series:
        return self.history.since(getattr(self.forecaster.model, "train_end_", None))
