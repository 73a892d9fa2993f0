"""`ModelFollower`: keeps a running target on the model store's promoted model.

`forescale train` (a CronJob, a notebook, or an operator through the API) saves versions and
promotes one; the controller must pick the promoted one up at startup and whenever it changes,
without a restart, and without the store being able to break a cycle. Once per ``poll`` interval
the follower asks the store which version is promoted and adopts it when it is new (its
configuration is then what the controller refits on its cadence). When the newest stored version
is newer than the promoted one, that candidate runs in shadow beside production (`ShadowRun`), so
its live accuracy can be read before anyone promotes it.

Store failures (unreachable, corrupt artifact, a model of another step, a target name the store
refuses) are kept in ``error`` and logged; the target keeps forecasting with the model it has.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd

from forescale.models.base import BaseForecaster, Forecast
from forescale.models.persistence import ModelCard
from forescale.scaler.domain import KnownEvent
from forescale.scaler.errors import ModelStoreError, ScalerError
from forescale.scaler.forecasting.engine import TargetForecaster
from forescale.scaler.forecasting.shadow import ShadowComparison, ShadowRun
from forescale.scaler.modelstore.base import ModelStore, model_key

__all__ = ["ModelFollower"]

log = logging.getLogger(__name__)

DEFAULT_POLL = timedelta(minutes=5)
"""How often each target asks the store (1,000 targets: ~3 small reads per second)."""


class ModelFollower:
    """Follows one target's promoted model and shadows a newer candidate; see the module doc."""

    def __init__(
        self,
        store: ModelStore,
        *,
        target: str,
        step: timedelta,
        horizon: int,
        events: Sequence[KnownEvent] = (),
        poll: timedelta = DEFAULT_POLL,
        shadow: bool = True,
    ) -> None:
        self.store = store
        self.target = target
        self.key = model_key(target)
        self.step = step
        self.horizon = horizon
        self.events = tuple(events)
        self.poll = poll
        self.shadow_enabled = shadow
        self.shadow: ShadowRun | None = None
        self.error: str | None = None
        self._next_poll: datetime | None = None

    def sync(self, forecaster: TargetForecaster, *, now: datetime) -> str | None:
        """Adopt a newly promoted model into ``forecaster``; what changed, or None.

        Asks the store at most once per ``poll``; never raises for store problems."""
        if self._next_poll is not None and now < self._next_poll:
            return None
        self._next_poll = now + self.poll
        try:
            promoted = self.store.promoted(self.key)
            changed = None
            if promoted is not None and promoted != forecaster.version:
                model, card = self._load(promoted)
                forecaster.adopt(model, fitted_at=card.created_at, version=promoted)
                changed = f"adopted promoted model {promoted} ({card.model})"
                log.info("%s: %s", self.target, changed)
            if self.shadow_enabled:
                self._sync_shadow(promoted)
        except ScalerError as exc:  # unreachable, corrupt, foreign step, a name it refuses
            self.error = f"model store: {exc}"
            log.warning("%s: %s", self.target, self.error)
            return None
        self.error = None
        return changed

    def observe(self, at: datetime, load: float | None) -> None:
        if self.shadow is not None:
            self.shadow.observe(at, load)

    def step_shadow(self, *, history: pd.Series, production: Forecast | None) -> None:
        if self.shadow is not None:
            self.shadow.step(history=history, production=production)

    def comparison(self) -> ShadowComparison | None:
        return self.shadow.comparison() if self.shadow is not None else None

    def _sync_shadow(self, promoted: str | None) -> None:
        versions = self.store.versions(self.key)
        newest = versions[-1] if versions else None
        if newest is None or newest == promoted or (promoted is not None and newest < promoted):
            self.shadow = None
            return
        if self.shadow is not None and self.shadow.version == newest:
            return
        model, _ = self._load(newest)
        candidate = TargetForecaster(
            model.name, step=self.step, horizon=self.horizon, events=self.events
        )
        candidate.adopt(model, fitted_at=pd.Timestamp(model.train_end_).to_pydatetime())
        self.shadow = ShadowRun(candidate, horizon=self.horizon, version=newest)
        log.info("%s: candidate %s runs in shadow beside %s", self.target, newest, promoted)

    def _load(self, version: str) -> tuple[BaseForecaster, ModelCard]:
        model, card = self.store.load(self.key, version)
        if abs(card.step_seconds - self.step.total_seconds()) > 1e-6:
            raise ModelStoreError(
                f"version {version} of {self.key} was trained at a {card.step_seconds:g}s step, "
                f"the target runs at {self.step.total_seconds():g}s; retrain it at the "
                "target's step"
            )
        return model, card
