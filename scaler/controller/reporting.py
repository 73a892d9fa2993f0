"""Publishing what the controller decided: telemetry, the record store, target status, logs.

Kept apart from the cycle logic so that the loop stays about control, and so that tests and the
demo can listen in (``on_decision``). Decisions are recorded when something changed (floor,
mode, reactive recommendation, an actuation) and at least every ``record_every``, so a busy
controller does not write a row per target per minute for nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from forescale.scaler.controller.runtime import CycleOutcome, TargetRuntime
from forescale.scaler.domain import CapacityPlan, Mode, TargetName
from forescale.scaler.planning.fallback import Issue
from forescale.scaler.records import (
    AccuracyRecord,
    DecisionRecord,
    ForecastPoint,
    ForecastRecord,
    Recorder,
)
from forescale.scaler.telemetry import Telemetry

__all__ = ["Reporter", "forecast_record"]

log = logging.getLogger("forescale.scaler.decisions")

_FAULTS = tuple(issue.value for issue in (Issue.STALE_DATA, Issue.MODEL_FAILURE,
                                          Issue.POOR_QUALITY, Issue.CYCLE_FAILURE))  # fmt: skip


def _level(plan: CapacityPlan) -> int:
    """WARNING for a decision that sets the forecast aside because something is wrong
    (Prometheus down or answering nonsense, a failing model or cluster): an operator alerting on
    WARNING must hear of every fallback, which the INFO decision line alone hid when Prometheus
    answered an HTTP error. Expected reasons (no history yet, paused) stay at INFO."""
    if plan.mode is Mode.PREDICTIVE:
        return logging.INFO
    return logging.WARNING if plan.mode_reason.startswith(_FAULTS) else logging.INFO


DecisionListener = Callable[[TargetRuntime, CycleOutcome, DecisionRecord], None]


class Reporter:
    def __init__(
        self,
        *,
        telemetry: Telemetry | None = None,
        recorder: Recorder | None = None,
        status: Callable[[TargetName, dict[str, Any]], bool] | None = None,
        record_every: timedelta = timedelta(minutes=5),
        on_decision: DecisionListener | None = None,
        retention: Callable[[datetime], object] | None = None,
    ) -> None:
        self.telemetry = telemetry
        self.recorder = recorder
        self.status = status
        self.record_every = record_every
        self.on_decision = on_decision
        self.retention = retention
        """Called after each cycle with its time (e.g. `Retention.maybe_purge`)."""
        self._last_key: dict[str, tuple[object, ...]] = {}
        self._last_at: dict[str, datetime] = {}
        self._transitions: dict[str, dict[str, tuple[str, str]]] = {}
        """Per target and condition type: (status, lastTransitionTime) as last written."""

    def cycle(
        self,
        runtime: TargetRuntime,
        outcome: CycleOutcome,
        *,
        now: datetime,
        spec_error: str | None = None,
        leader: bool = True,
    ) -> None:
        """Publish one cycle's decision. ``spec_error``: why the target's newest spec was
        refused while its last valid one keeps running (shown in the status, not hidden).
        ``leader``: this replica leads; a follower updates its own telemetry and listeners but
        writes no history or status (two replicas on one store would write every row twice,
        and their statuses would fight)."""
        name = str(runtime.spec.name)
        plan = outcome.decision.plan
        record = DecisionRecord.build(
            plan, load=outcome.load, current_replicas=outcome.capacity.current_replicas,
            actuation=outcome.actuation, dry_run=outcome.dry_run, error=runtime.last_error,
        )  # fmt: skip
        key = (
            plan.floor, plan.mode, plan.reactive, plan.desired, record.action, record.error,
            spec_error,
        )  # fmt: skip
        changed = key != self._last_key.get(name)
        since = now - self._last_at.get(name, datetime.min.replace(tzinfo=now.tzinfo))
        due = since >= self.record_every or since < timedelta(0)  # < 0: the clock went back
        self._telemetry(runtime, outcome)
        if leader and (changed or due):
            if changed:
                log.log(_level(plan), "%s: %s [%s] %s", name, _summary(record), plan.mode.value,
                        plan.explain())  # fmt: skip
            if self._publish(runtime, outcome, record, now=now, spec_error=spec_error):
                self._last_key[name], self._last_at[name] = key, now
        if self.on_decision is not None:
            self.on_decision(runtime, outcome, record)

    def _publish(
        self,
        runtime: TargetRuntime,
        outcome: CycleOutcome,
        record: DecisionRecord,
        *,
        now: datetime,
        spec_error: str | None,
    ) -> bool:
        """Record and write the status; ``False`` (logged, retried next cycle) if either failed.
        Best effort: a store or API outage must not stop the control loop."""
        try:
            if self.recorder is not None:
                self.recorder.record_decision(record)
                forecast = forecast_record(runtime, issued_at=now)
                if forecast is not None:
                    self.recorder.record_forecast(forecast)
                self.recorder.record_accuracy(accuracy_record(runtime, at=now))
            if self.status is not None:
                status = status_of(runtime, outcome, now=now, spec_error=spec_error)
                self._keep_transition_times(record.target, status)
                self.status(runtime.spec.name, status)
        except Exception:  # noqa: BLE001 - publishing is best effort; control goes on
            log.warning("%s: could not publish the decision", record.target, exc_info=True)
            return False
        return True

    def _keep_transition_times(self, name: str, status: dict[str, Any]) -> None:
        """A condition's ``lastTransitionTime`` is when its status last *changed* (the
        Kubernetes convention ``kubectl describe`` and alerting rely on), not the last write."""
        seen = self._transitions.setdefault(name, {})
        for condition in status.get("conditions", ()):
            previous = seen.get(condition["type"])
            if previous is not None and previous[0] == condition["status"]:
                condition["lastTransitionTime"] = previous[1]
            seen[condition["type"]] = (condition["status"], condition["lastTransitionTime"])

    def failed(
        self,
        runtime: TargetRuntime,
        exc: BaseException,
        *,
        now: datetime,
        spec_error: str | None = None,
        leader: bool = True,
    ) -> None:
        """A failed cycle: the error, and the mode the fallback machine is in now (the status
        is written by the leader only)."""
        name, status_now = str(runtime.spec.name), runtime.status()
        mode = Mode(status_now.mode)
        released = mode is Mode.REACTIVE and not runtime.applied
        if self.telemetry is not None:
            self.telemetry.record_actuation_error(name, exc)
            self.telemetry.record_failure(name, mode=mode, released=released)
        if self.status is not None and leader:
            reason = status_now.mode_reason
            status: dict[str, Any] = {
                "mode": mode.value, "modeReason": reason,
                "lastError": spec_error or runtime.last_error, "lastDecisionTime": _iso(now),
                "conditions": _conditions(
                    runtime, mode=mode, reason=reason, now=now, spec_error=spec_error
                ),
            }  # fmt: skip
            if released:
                status["floor"] = None
            try:
                self._keep_transition_times(name, status)
                self.status(runtime.spec.name, status)
            except Exception:  # noqa: BLE001 - status is best effort; the error is logged
                log.debug("could not write the status of %s", runtime.spec.name, exc_info=True)

    def finished(self, *, seconds: float, at: datetime, leader: bool = True) -> None:
        if self.telemetry is not None:
            self.telemetry.record_cycle(seconds=seconds, at=at)
            self.telemetry.record_leadership(leader)
        if self.retention is not None and leader:
            try:
                self.retention(at)
            except Exception:  # noqa: BLE001 - housekeeping must never stop the loop
                log.warning("retention purge failed", exc_info=True)

    def forget(self, name: str) -> None:
        self._last_key.pop(name, None)
        self._last_at.pop(name, None)
        self._transitions.pop(name, None)
        if self.telemetry is not None:
            self.telemetry.forget(name)

    def _telemetry(self, runtime: TargetRuntime, outcome: CycleOutcome) -> None:
        if self.telemetry is None:
            return
        name, plan = str(runtime.spec.name), outcome.decision.plan
        self.telemetry.record_load(name, math.nan if outcome.load is None else outcome.load)
        action = outcome.actuation.action if outcome.actuation is not None else "noop"
        source = (
            "scheduled"
            if plan.scheduled is not None and plan.floor == plan.scheduled
            else plan.mode.value
        )
        self.telemetry.record_decision(
            name,
            mode=plan.mode,
            action=action,
            floor=plan.floor,
            floor_source=source,
            reactive=plan.reactive,
        )
        self.telemetry.record_tuning(name, runtime.tuning())
        fc = outcome.decision.forecast
        q = runtime.sized_quantile
        lead = runtime.lead_steps
        if fc is not None and len(fc.mean) >= lead:
            self.telemetry.record_forecast(
                name,
                mean=float(fc.mean[lead - 1]),
                quantile=float(fc.quantile(q)[lead - 1]),
                level=q,
            )
        issued = outcome.issued
        if issued is not None and outcome.load is not None:
            self.telemetry.record_outcome(
                name, forecast_mean=issued[0], forecast_quantile=issued[1], actual=outcome.load
            )


def forecast_record(runtime: TargetRuntime, *, issued_at: datetime) -> ForecastRecord | None:
    fc = runtime.last_forecast
    if fc is None:
        return None
    q = runtime.sized_quantile
    upper = _quantile_or_none(fc, q)  # the band the floor was sized on
    lower = _quantile_or_none(fc, 0.1)
    points = tuple(
        ForecastPoint(at=ts.to_pydatetime(), mean=float(fc.mean[i]),
                      lower=None if lower is None or i >= len(lower) else float(lower[i]),
                      upper=None if upper is None or i >= len(upper) else float(upper[i]))
        for i, ts in enumerate(fc.index)
    )  # fmt: skip
    return ForecastRecord(
        target=str(runtime.spec.name),
        issued_at=issued_at,
        model=fc.model,
        quantile=q,
        points=points,
        notes=fc.notes,
    )


def accuracy_record(runtime: TargetRuntime, *, at: datetime) -> AccuracyRecord:
    acc = runtime.status().accuracy
    if acc is None:
        raise ValueError(f"{runtime.spec.name} has no accuracy snapshot")
    return AccuracyRecord(
        target=str(runtime.spec.name), at=at,
        horizon_seconds=(runtime.spec.step * acc.horizon).total_seconds(), scored=acc.scored,
        mae=acc.mae, relative_error=acc.relative_error, skill=acc.skill,
        under_rate=acc.under_rate, bias=acc.bias,
    )  # fmt: skip


def status_of(
    runtime: TargetRuntime,
    outcome: CycleOutcome,
    *,
    now: datetime,
    spec_error: str | None = None,
) -> dict[str, Any]:
    """The PredictiveAutoscaler ``status`` (camelCase, as in the CRD). With ``spec_error`` the
    newest spec was refused: Ready=False/InvalidSpec says so while the last valid one runs."""
    plan = outcome.decision.plan
    fc = runtime.last_forecast
    summary: dict[str, Any] | None = None
    if fc is not None and len(fc.mean):
        q = runtime.sized_quantile
        band = _quantile_or_none(fc, q)
        band = fc.mean if band is None else band
        summary = {
            "peak": round(float(np.max(band)), 3),
            "mean": round(float(np.mean(fc.mean)), 3),
            "quantile": q,
            "windowStart": _iso(fc.index[0].to_pydatetime()),
            "windowEnd": _iso(fc.index[-1].to_pydatetime()),
        }
    return {
        "target": str(runtime.spec.ref),
        "mode": plan.mode.value,
        "modeReason": plan.mode_reason,
        "floor": plan.floor,
        "reactiveReplicas": plan.reactive,
        "predictiveReplicas": plan.predictive,
        "desiredReplicas": plan.desired,
        "model": plan.model,
        "forecast": summary,
        "lastError": spec_error or runtime.last_error,
        "tuning": runtime.tuning(),
        "lastDecisionTime": _iso(now),
        "conditions": _conditions(
            runtime, mode=plan.mode, reason=plan.mode_reason, now=now, spec_error=spec_error
        ),
    }


def _conditions(
    runtime: TargetRuntime, *, mode: Mode, reason: str, now: datetime, spec_error: str | None = None
) -> list[dict[str, str]]:
    """Ready (the spec) and Predictive (the mode); every condition is sent each time."""
    return [{
        "type": "Ready", "status": "False" if spec_error else "True",
        "reason": "InvalidSpec" if spec_error else "SpecValid",
        "message": (spec_error or f"controlling {runtime.spec.ref}")[:1000],
        "lastTransitionTime": _iso(now),
    }, {
        "type": "Predictive", "status": "False" if mode is Mode.REACTIVE else "True",
        "reason": mode.value.capitalize(), "message": reason[:1000],
        "lastTransitionTime": _iso(now),
    }]  # fmt: skip


def _quantile_or_none(fc: Any, q: float) -> np.ndarray | None:
    try:
        return np.asarray(fc.quantile(q))
    except KeyError:
        return None


def _summary(record: DecisionRecord) -> str:
    floor = "released" if record.floor is None else f"floor {record.floor}"
    dry = " (dry run)" if record.dry_run else ""
    return f"{floor}, reactive {record.reactive}, expect {record.desired}, {record.action}{dry}"


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
