"""`Telemetry`: the controller's own metrics, for Prometheus to scrape at ``/metrics``.

SREs must be able to answer "what did Forescale forecast, what floor did it set, was it right, and
is it healthy?" from their own Prometheus and Grafana, not only from our API. Everything is on an
injectable `CollectorRegistry` (tests and the FastAPI ``/metrics`` mount use their own), under the
``forescale_`` prefix: ``_total`` for counters, ``_seconds`` for durations, ``target`` label per
workload. Label values come from closed sets (modes, actions, error kinds), so cardinality is
bounded by the number of targets; `forget` drops a removed target's series.

The controller calls a few typed methods per target and cycle; it never touches metric objects.
Thread-safe (the loop writes while the HTTP server reads).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from forescale.scaler.domain import Mode
from forescale.scaler.errors import (
    AccessDenied,
    ActuationConflict,
    ActuationUnavailable,
    TargetNotFound,
)

__all__ = ["Action", "Telemetry"]

Action = Literal["raise", "lower", "restore", "noop"]
"""What a decision did to the floor (`ActuationResult.action`)."""

M = TypeVar("M", bound=MetricWrapperBase)

_ACTIONS: frozenset[str] = frozenset({"raise", "lower", "restore", "noop"})
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_ERROR_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (TargetNotFound, "not_found"),
    (AccessDenied, "access_denied"),
    (ActuationConflict, "conflict"),
    (ActuationUnavailable, "unavailable"),
)


@dataclass(frozen=True, slots=True)
class _Outcome:
    abs_error: float
    actual: float
    under: bool


class Telemetry:
    """Typed recorder of the controller's metrics; ``error_window`` = outcomes kept per target."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        error_window: int = 60,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        if error_window < 1:
            raise ValueError(f"error_window must be >= 1 outcome, got {error_window}")
        self.registry = registry if registry is not None else CollectorRegistry()
        self._window = error_window
        self._timer = timer
        self._lock = threading.Lock()
        self._outcomes: dict[str, deque[_Outcome]] = {}
        self._children: dict[str, set[tuple[MetricWrapperBase, tuple[str, ...]]]] = {}
        self._define_target_metrics()
        self._define_cycle_metrics()

    def _gauge(self, name: str, doc: str, *labels: str) -> Gauge:
        return Gauge(f"forescale_{name}", doc, ("target", *labels), registry=self.registry)

    def _counter(self, name: str, doc: str, *labels: str) -> Counter:
        return Counter(f"forescale_{name}", doc, ("target", *labels), registry=self.registry)

    def _define_target_metrics(self) -> None:
        gauge, counter = self._gauge, self._counter
        self.forecast = gauge("forecast_load", "Mean forecast load at the lead time.")
        self.forecast_quantile = gauge(
            "forecast_load_quantile", "Forecast load quantile the floor is sized for.", "quantile"
        )
        self.floor = gauge(
            "floor_replicas", "Floor (minReplicas/MinSize) set; absent while released.", "source"
        )
        self.reactive = gauge("reactive_replicas", "Replicas the HPA formula recommends.")
        self.load = gauge("load", "Latest observed load (the target's query, in its unit).")
        self.mode = gauge("mode", "1 for the target's current mode, 0 for the others.", "mode")
        self.error_ratio = gauge(
            "forecast_error_ratio",
            "Rolling weighted absolute percentage error of the mean forecast (sum|e|/sum|y|).",
        )
        self.under_ratio = gauge(
            "under_forecast_ratio",
            "Rolling fraction of outcomes where load exceeded the forecast quantile.",
        )
        self.outcomes = counter("forecast_outcomes", "Forecasts compared with actual load.")
        self.under_forecasts = counter(
            "under_forecasts", "Outcomes where load exceeded the forecast quantile."
        )
        self.decisions = counter("decisions", "Decisions per mode and action.", "mode", "action")
        self.expected_savings = gauge(
            "expected_savings_ratio",
            "Self-tuning's expected saving in replica-hours vs the HPA alone over its window "
            "(1 - tuned / HPA; negative: costs more); absent before the first tuning.",
        )
        self.actuation_errors = counter(
            "actuation_errors", "Failed writes to the HPA/ASG, by kind.", "kind"
        )

    def _define_cycle_metrics(self) -> None:
        self.cycle_duration = Histogram(
            "forescale_cycle_duration_seconds",
            "Duration of one control cycle over all targets.",
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.step_duration = Histogram(
            "forescale_step_duration_seconds",
            "Duration of one phase of a target's cycle (gather, decide, act).",
            ("step",),
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.last_cycle = Gauge(
            "forescale_last_cycle_timestamp_seconds",
            "Unix time the last cycle finished (alert when it stops moving).",
            registry=self.registry,
        )
        self.leader = Gauge(
            "forescale_leader",
            "1 while this replica may actuate (holds the Lease, or runs without leader election).",
            registry=self.registry,
        )

    # -- per target ------------------------------------------------------------------------
    def record_forecast(self, target: str, *, mean: float, quantile: float, level: float) -> None:
        """The forecast the floor was planned from: its mean and its ``level`` quantile."""
        if not 0 < level < 1:
            raise ValueError(f"quantile level must be in (0, 1), got {level}")
        with self._lock:
            self._replace(self.forecast_quantile, target, f"{level:g}").set(quantile)
            self._child(self.forecast, target).set(mean)

    def record_decision(
        self,
        target: str,
        *,
        mode: Mode,
        action: Action,
        floor: int | None,
        floor_source: str | None = None,
        reactive: int | None = None,
    ) -> None:
        """One cycle's decision: mode, the floor (``None`` = released) and the HPA's own view."""
        if action not in _ACTIONS:
            raise ValueError(f"action must be one of {sorted(_ACTIONS)}, got {action!r}")
        mode = Mode(mode)
        with self._lock:
            self._set_mode(target, mode)
            if floor is None:
                self._remove_all(self.floor, target)
            else:
                self._replace(self.floor, target, floor_source or mode.value).set(floor)
            if reactive is not None:
                self._child(self.reactive, target).set(reactive)
            self._child(self.decisions, target, mode.value, action).inc()

    def record_tuning(self, target: str, tuning: Mapping[str, Any] | None) -> None:
        """The newest tuning's expected saving (`scaler.tuning.report.tuning_status`)."""
        with self._lock:
            if tuning is None:
                self._remove_all(self.expected_savings, target)
            else:
                self._child(self.expected_savings, target).set(float(tuning["expectedSavings"]))

    def record_failure(self, target: str, *, mode: Mode, released: bool) -> None:
        """A cycle that failed: the mode the fallback machine is in now (so ``forescale_mode``
        never keeps showing the last successful cycle's), and no floor once it was given back."""
        with self._lock:
            self._set_mode(target, Mode(mode))
            if released:
                self._remove_all(self.floor, target)

    def _set_mode(self, target: str, mode: Mode) -> None:
        for candidate in Mode:
            self._child(self.mode, target, candidate.value).set(candidate is mode)

    def record_load(self, target: str, value: float) -> None:
        """The load just observed, so dashboards draw it beside the forecast (NaN: no sample)."""
        with self._lock:
            if math.isfinite(value):
                self._child(self.load, target).set(value)
            else:
                self._remove_all(self.load, target)

    def record_outcome(
        self, target: str, *, forecast_mean: float, forecast_quantile: float, actual: float
    ) -> None:
        """Score a past forecast against the load that arrived (NaN actuals are skipped)."""
        if not all(map(math.isfinite, (forecast_mean, forecast_quantile, actual))):
            return
        outcome = _Outcome(abs(actual - forecast_mean), abs(actual), actual > forecast_quantile)
        with self._lock:
            window = self._outcomes.setdefault(target, deque(maxlen=self._window))
            window.append(outcome)
            total_actual = sum(o.actual for o in window)
            total_error = sum(o.abs_error for o in window)
            wape = total_error / total_actual if total_actual > 0 else math.nan
            self._child(self.error_ratio, target).set(0.0 if total_error == 0 else wape)
            self._child(self.under_ratio, target).set(sum(o.under for o in window) / len(window))
            self._child(self.outcomes, target).inc()
            under = self._child(self.under_forecasts, target)
            if outcome.under:
                under.inc()

    def record_actuation_error(self, target: str, error: BaseException) -> None:
        kind = next((k for cls, k in _ERROR_KINDS if isinstance(error, cls)), "other")
        with self._lock:
            self._child(self.actuation_errors, target, kind).inc()

    def forget(self, target: str) -> None:
        """Drop every series of a target removed from the configuration."""
        with self._lock:
            for metric, labels in self._children.pop(target, set()):
                metric.remove(*labels)
            self._outcomes.pop(target, None)

    # -- whole cycle -------------------------------------------------------------------------
    def record_cycle(self, *, seconds: float, at: datetime) -> None:
        self.cycle_duration.observe(seconds)
        self.last_cycle.set(at.timestamp())

    def record_leadership(self, is_leader: bool) -> None:
        """Whether this replica actuates; the chart's LeaderMissing alert fires when none does."""
        self.leader.set(1 if is_leader else 0)

    def observe_step(self, step: str, seconds: float) -> None:
        self.step_duration.labels(step).observe(seconds)

    @contextmanager
    def timed_step(self, step: str) -> Iterator[None]:
        """``with telemetry.timed_step("forecast"): ...`` (recorded even when it raises)."""
        begin = self._timer()
        try:
            yield
        finally:
            self.observe_step(step, self._timer() - begin)

    # -- label bookkeeping (callers hold the lock) --------------------------------------------
    def _child(self, metric: M, target: str, *rest: str) -> M:
        labels = (target, *rest)
        self._children.setdefault(target, set()).add((metric, labels))
        return metric.labels(*labels)

    def _replace(self, metric: M, target: str, value: str) -> M:
        """The child for ``(target, value)``, removing the target's children with other values."""
        for key in [k for k in self._children.get(target, ()) if k[0] is metric]:
            if key[1][1:] != (value,):
                metric.remove(*key[1])
                self._children[target].discard(key)
        return self._child(metric, target, value)

    def _remove_all(self, metric: MetricWrapperBase, target: str) -> None:
        for key in [k for k in self._children.get(target, ()) if k[0] is metric]:
            metric.remove(*key[1])
            self._children[target].discard(key)
