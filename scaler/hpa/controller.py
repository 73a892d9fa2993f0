"""The Kubernetes HorizontalPodAutoscaler, one sync at a time: Forescale's reactive fallback.

`Hpa.reconcile` mirrors ``reconcileAutoscaler`` in ``pkg/controller/podautoscaler/horizontal.go``
(Kubernetes v1.33): the min/max/zero guards, one proposal per metric and the highest wins
(``computeReplicasForMetrics``), then stabilization, then the rate limits and bounds
(``normalizeDesiredReplicas[WithBehaviors]``). It keeps exactly the state the controller keeps
per HPA (unstabilized recommendations, scale-up and scale-down events), so a replay through it
scales like the real thing, and Forescale is never worse than the HPA users already run.

Every `HpaDecision` can explain itself step by step ("reactive says 9 because ..."); the text is
built only when asked, so the simulator's ~350,000 calls per replay stay cheap.

Pure: no clock, no I/O; ``now`` is passed in and must not go backwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.behavior import (
    EventLog,
    HpaBehavior,
    Limit,
    ScaleEvent,
    ScalingPolicyRule,
    ScalingRules,
    legacy_limit,
    rate_limit_us,
    store_event,
    to_us,
)
from forescale.scaler.hpa.decision import Condition, HpaConfig, HpaDecision, Stabilization
from forescale.scaler.hpa.history import RollingExtreme
from forescale.scaler.hpa.metrics import (
    ExternalMetric,
    HpaMetric,
    HpaMetricError,
    LoadMetric,
    MetricContext,
    MetricFailure,
    MetricProposal,
    ObjectMetric,
    Tolerances,
    load_metric,
)
from forescale.scaler.hpa.pods import PodSample, PodsMetric, ResourceMetric

# The public face of the port: import everything from here.
__all__ = [
    "Condition",
    "ExternalMetric",
    "Hpa",
    "HpaBehavior",
    "HpaConfig",
    "HpaDecision",
    "HpaMetric",
    "HpaMetricError",
    "Limit",
    "LoadMetric",
    "MetricContext",
    "MetricFailure",
    "MetricProposal",
    "ObjectMetric",
    "PodSample",
    "PodsMetric",
    "ResourceMetric",
    "ScaleEvent",
    "ScalingPolicyRule",
    "ScalingRules",
    "Stabilization",
    "Tolerances",
    "load_metric",
]


class Hpa:
    """One HorizontalPodAutoscaler and the history the controller keeps for it.

    Call `reconcile` once per sync (every 15 s in Kubernetes) with non-decreasing ``now``.
    """

    __slots__ = (
        "_config",
        "_down",
        "_down_events",
        "_last_us",
        "_longest_us",
        "_tolerances",
        "_up",
        "_up_events",
    )

    def __init__(
        self,
        *,
        behavior: HpaBehavior | None = None,
        tolerance: float = 0.1,
        downscale_stabilization: timedelta = timedelta(minutes=5),
        cpu_initialization_period: timedelta = timedelta(minutes=5),
        initial_readiness_delay: timedelta = timedelta(seconds=30),
    ) -> None:
        self._config = HpaConfig(
            behavior=behavior,
            tolerance=tolerance,
            downscale_stabilization=downscale_stabilization,
            cpu_initialization_period=cpu_initialization_period,
            initial_readiness_delay=initial_readiness_delay,
        )
        self._tolerances = self._config.tolerances
        down_us = self._config.scale_down_window // timedelta(microseconds=1)
        # Without behavior upstream counts a sample exactly one window old; with it, not.
        strict = behavior is not None
        self._down = RollingExtreme(window_us=down_us, highest=True, strict=strict)
        up_us = self._config.scale_up_window // timedelta(microseconds=1)
        self._up = RollingExtreme(window_us=up_us, highest=False)
        self._up_events: EventLog = []
        self._down_events: EventLog = []
        self._longest_us = (
            None
            if behavior is None
            else (behavior.scale_up.longest_period_us, behavior.scale_down.longest_period_us)
        )
        self._last_us: int | None = None

    @property
    def config(self) -> HpaConfig:
        return self._config

    def is_before_last_sync(self, now: datetime) -> bool:
        """``now`` is earlier than the previous sync (the wall clock was set back): `reconcile`
        would refuse it; the caller starts a new Hpa instead."""
        return self._last_us is not None and to_us(now) < self._last_us

    def reconcile(
        self,
        *,
        now: datetime,
        current_replicas: int,
        min_replicas: int,
        max_replicas: int,
        metrics: Sequence[HpaMetric],
        status_replicas: int | None = None,
    ) -> HpaDecision:
        """One sync of the HPA: the replica count it would set now, and why.

        ``current_replicas`` is the target's ``spec.replicas``; ``status_replicas`` the pods
        that exist (default: the same), which AverageValue targets divide by.
        """
        now_us = self._advance(now)
        _check_counts(current_replicas, min_replicas, max_replicas, status_replicas, metrics)
        if self._last_us is None:  # recordInitialRecommendation: a restart holds scale-downs
            self._down.push(now_us, current_replicas)
            self._up.push(now_us, current_replicas)
        self._last_us = now_us
        status = current_replicas if status_replicas is None else status_replicas
        decision = self._decide(
            now, now_us, current_replicas, min_replicas, max_replicas, status, metrics
        )
        self._store_event(now_us, current_replicas, decision.replicas)
        return decision

    def hold(self, last: HpaDecision, *, until: datetime) -> bool:
        """Replay syncs up to ``until`` with the same inputs as ``last``, if that is exact.

        When the last sync was a fixed point every later sync with the same inputs returns the
        same count: (a) the proposal equals current and nothing was limited: stabilization then
        yields current whatever the window holds; (b) the count is pinned at ``min_replicas``
        (a raised floor) with a proposal at or below it, or at ``max_replicas`` with a proposal
        at or above it: the bound absorbs whatever stabilization yields. The only state those
        syncs change is the recommendation's time in the stabilization windows, and one push at
        ``until`` leaves exactly that state (a later equal value replaces an earlier one; expiry
        is applied when the window is next read). An invalid metric changes no state at all.
        Returns False (and changes nothing) when a full `reconcile` per sync is needed. Trace
        replays use this to skip the syncs of a step whose load is constant.
        """
        current, proposal = last.current_replicas, last.proposal
        if last.replicas != current:
            return False
        invalid = last.condition == "InvalidMetrics"
        if not invalid:
            if last.condition is not None or proposal is None:
                return False
            settled = proposal == current and last.limited_by is None
            floored = proposal <= current == last.min_replicas
            capped = proposal >= current == last.max_replicas
            if not (settled or floored or capped):
                return False
        until_us = self._advance(until)
        if not invalid:
            assert last.proposal is not None
            if self._config.behavior is not None:
                self._up.push(until_us, last.proposal)
            self._down.push(until_us, last.proposal)
        self._last_us = until_us
        return True

    def _decide(  # positional on purpose: this runs ~350,000 times per replay
        self,
        now: datetime,
        now_us: int,
        current: int,
        low: int,
        high: int,
        status: int,
        metrics: Sequence[HpaMetric],
    ) -> HpaDecision:
        """The branches of reconcileAutoscaler, in upstream's order."""
        config = self._config
        if current == 0 and low != 0:
            return HpaDecision(now, 0, current, low, high, config, "ScalingDisabled")
        if current > high:
            return HpaDecision(now, high, current, low, high, config, "AboveMaxReplicas")
        if current < low:
            return HpaDecision(now, low, current, low, high, config, "BelowMinReplicas")
        ctx = MetricContext(
            now,
            current,
            status,
            self._tolerances,
            config.cpu_initialization_period,
            config.initial_readiness_delay,
        )
        results, proposal, invalid = _evaluate(metrics, ctx)
        # All metrics invalid, or some invalid while the rest ask to scale down: do nothing.
        if proposal is None or (invalid and proposal < current):
            return HpaDecision(
                now, current, current, low, high, config, "InvalidMetrics", results, proposal
            )
        replicas, stabilized, label, limit = self._normalize(now_us, proposal, low, high, current)
        return HpaDecision(
            now, replicas, current, low, high, config, None, results, proposal, stabilized, label,
            limit,
        )  # fmt: skip

    def _advance(self, now: datetime) -> int:
        now_us = to_us(now)
        if self._last_us is not None and now_us < self._last_us:
            raise ConfigError(
                f"now={now.isoformat()} is earlier than the previous sync: an Hpa's history "
                "needs non-decreasing time (use a new Hpa to replay from an earlier time)"
            )
        return now_us

    def _normalize(
        self, now_us: int, desired: int, low: int, high: int, current: int
    ) -> tuple[int, int, Stabilization | None, Limit | None]:
        """normalizeDesiredReplicas[WithBehaviors]: stabilize, then limit the rate and bounds."""
        behavior = self._config.behavior
        if behavior is None:  # stabilizeRecommendation + convertDesiredReplicasWithRules
            seen = self._down.extreme(now_us)
            stabilized = desired if seen is None or seen < desired else seen
            self._down.push(now_us, desired)
            replicas, limit = legacy_limit(
                desired_replicas=stabilized,
                current_replicas=current,
                min_replicas=low,
                max_replicas=high,
            )
            return replicas, stabilized, None, limit
        # stabilizeRecommendationWithBehaviors
        up_seen, down_seen = self._up.extreme(now_us), self._down.extreme(now_us)
        up_rec = desired if up_seen is None or up_seen > desired else up_seen
        down_rec = desired if down_seen is None or down_seen < desired else down_seen
        stabilized = min(max(current, up_rec), down_rec)
        self._up.push(now_us, desired)
        self._down.push(now_us, desired)
        label: Stabilization | None = None
        if stabilized != desired:
            label = "ScaleUpStabilized" if desired >= current else "ScaleDownStabilized"
        if stabilized == current:  # nothing to limit (the common case: skip the call)
            return current, stabilized, label, None
        replicas, limit = rate_limit_us(
            desired=stabilized,
            current=current,
            low=low,
            high=high,
            behavior=behavior,
            up=self._up_events,
            down=self._down_events,
            now_us=now_us,
        )
        return replicas, stabilized, label, limit

    def _store_event(self, now_us: int, current: int, desired: int) -> None:
        """storeScaleEvent: only an HPA with ``spec.behavior`` records its rescales."""
        if self._longest_us is None or desired == current:
            return
        up_us, down_us = self._longest_us
        if desired > current:
            store_event(
                self._up_events, now_us=now_us, change=desired - current, longest_period_us=up_us
            )
        else:
            store_event(
                self._down_events,
                now_us=now_us,
                change=current - desired,
                longest_period_us=down_us,
            )


def _evaluate(
    metrics: Sequence[HpaMetric], ctx: MetricContext
) -> tuple[tuple[MetricProposal | MetricFailure, ...], int | None, int]:
    """computeReplicasForMetrics: every metric's answer, the highest valid proposal and how many
    metrics were invalid."""
    results: list[MetricProposal | MetricFailure] = []
    best: int | None = None
    invalid = 0
    for metric in metrics:
        try:
            proposal = metric.propose(ctx)
        except HpaMetricError as err:
            results.append(MetricFailure(metric.name, str(err)))
            invalid += 1
            continue
        results.append(proposal)
        if best is None or proposal.replicas > best:
            best = proposal.replicas
    return tuple(results), best, invalid


def _check_counts(
    current: int, low: int, high: int, status: int | None, metrics: Sequence[HpaMetric]
) -> None:
    if current < 0 or low < 0 or (status is not None and status < 0):
        raise ConfigError(
            f"replica counts must be >= 0, got current={current} min={low} status={status}"
        )
    if high < max(low, 1):
        raise ConfigError(f"max_replicas ({high}) must be >= min_replicas ({low}) and >= 1")
    if not metrics:
        raise ConfigError("an HPA needs at least one metric (e.g. load_metric(...))")
