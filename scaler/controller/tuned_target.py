"""Running the HPA hotter, by consent (issue 13 item 4): one target's tuned HPA target.

A floor under an HPA whose target stays where it is can only cost more than that HPA; the way to
cost less is a higher target utilisation while the floor puts capacity in place ahead of load.
In ``tuning: Tuned`` the tuner chooses that target on the target's own history. By default it
is a recommendation (status, API, ``forescale tune``); with ``hpaTarget: Apply`` it is written
through the actuator's `TargetWriter` (an HPA metric's target, a group's target-tracking value).

What is written is only ever the tuner's choice within the hotter targets it offers
(`scaler.tuning.tuner.HOTTER`, above the spec's own target), and only while the target is
predictive or degraded with a floor: a tuning that says reactive-only, the fallback to reactive,
a pause or ``ForecastOnly`` all mean the user's own target. Every path that gives the floor back
(`Actuator.release`) gives the target back with it; this class only decides what should be in
force each cycle and says so in the status (``status.tuning.hpaTarget``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from forescale.scaler.actuators.base import Actuator, TargetWriter
from forescale.scaler.controller.prediction import Prediction
from forescale.scaler.domain import Capacity, Mode, TargetSpec, TargetWrite
from forescale.scaler.tuning.tuner import HOTTER, TuningResult

__all__ = ["TunedTarget"]

log = logging.getLogger(__name__)
HOTTEST = max(HOTTER)


class TunedTarget:
    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec
        self.in_force: float | None = None
        """The tuned utilisation of ours on the object (None: the user's own target)."""
        self.last: TargetWrite | None = None
        self.refused: str | None = None

    def carry_over(self, previous: TunedTarget) -> None:
        """The same object: what is on it stays known across a spec edit."""
        self.in_force, self.last, self.refused = previous.in_force, previous.last, previous.refused

    def observed(self, capacity: Capacity) -> bool:
        """What the cycle read from the object; True if a tuned target of ours is on it (an
        earlier process or leader wrote it: ours to give back)."""
        self.in_force = capacity.tuned_target
        return self.in_force is not None

    def released(self) -> None:
        self.in_force = None

    def wanted(self, tuning: TuningResult | None, *, mode: Mode, held_back: bool) -> float | None:
        """The utilisation to run at now (None: the user's own target)."""
        if self.spec.hpa_target != "apply" or held_back or tuning is None:
            return None
        setting = tuning.setting
        if mode is Mode.REACTIVE or not setting.predictive:
            return None
        if not self.spec.policy.target_utilization < setting.target_utilization <= HOTTEST:
            return None  # only ever hotter than the user's, within what the tuner offers
        return setting.target_utilization

    def keep(
        self,
        actuator: Actuator,
        prediction: Prediction,
        *,
        mode: Mode,
        held_back: bool,
        dry_run: bool,
    ) -> bool:
        """Write what `wanted` says when it differs from what is in force (one read and at
        most one write; nothing at all in the steady state), then plan at the target in force
        (`sync`). True when a write changed the object."""
        result = self._write(actuator, prediction.tuning, mode=mode, held_back=held_back,
                             dry_run=dry_run)  # fmt: skip
        self.sync(prediction)
        return result is not None and result.changed

    def _write(
        self,
        actuator: Actuator,
        tuning: TuningResult | None,
        *,
        mode: Mode,
        held_back: bool,
        dry_run: bool,
    ) -> TargetWrite | None:
        want = self.wanted(tuning, mode=mode, held_back=held_back)
        if want == self.in_force:
            return None
        if not isinstance(actuator, TargetWriter):
            self.refused = "this target's actuator cannot write a scaling target"
            return None
        reason = tuning.reason if want is not None and tuning is not None else "the user's own"
        result = actuator.set_target(
            self.spec.ref, want, base=self.spec.policy.target_utilization,
            metric=self.spec.hpa_target_metric, reason=reason, dry_run=dry_run,
        )  # fmt: skip
        self.last, self.refused = result, result.refused
        if result.refused is not None:
            log.warning("%s: tuned target not written: %s", self.spec.name, result.refused)
        elif not dry_run:
            self.in_force = result.applied
        return result

    def sync(self, prediction: Prediction) -> None:
        """Plan with the target the HPA runs at: floors are sized per replica at it, as the
        tuner's replay sized them."""
        utilization = self.utilization
        with prediction.lock:
            policy = prediction.policy
            if policy.spec.policy.target_utilization != utilization:
                chosen = replace(policy.spec.policy, target_utilization=utilization)
                policy.retune(chosen, predictive_off=policy.predictive_off)

    @property
    def utilization(self) -> float:
        """The target utilisation the HPA runs at now."""
        return self.in_force if self.in_force is not None else self.spec.policy.target_utilization

    def report(self, tuning: TuningResult | None) -> dict[str, Any]:
        """``status.tuning.hpaTarget``: recommended, applied (None: the user's own), original."""
        apply = self.spec.hpa_target == "apply"
        recommended = tuning.setting.target_utilization if tuning is not None else None
        if not apply:
            why = "a recommendation: set hpaTarget: Apply to let Forescale write it"
        elif self.refused is not None:
            why = f"not written: {self.refused}"
        elif self.in_force is None:
            why = "the user's own target is in force (reactive, not hotter, or held back)"
        else:
            why = "written to the HPA; the user's own is restored with the floor"
        return {
            "mode": "Apply" if apply else "Recommend",
            "recommended": recommended,
            "applied": self.in_force,
            "original": self.last.original if self.last is not None else None,
            "reason": why,
        }
