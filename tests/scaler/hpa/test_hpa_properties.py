"""Properties of the HPA port over random behaviors, bounds and load sequences (hypothesis).

Each run replays a load sequence through an `Hpa` whose decisions become the next sync's
current replicas, as they would on a cluster where nothing else touches the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from forescale.scaler.hpa.behavior import (
    HpaBehavior,
    ScalingPolicyRule,
    ScalingRules,
    legacy_scale_up_limit,
)
from forescale.scaler.hpa.controller import Hpa, HpaDecision
from forescale.scaler.hpa.history import (
    stabilize_recommendation,
    stabilize_recommendation_legacy,
)
from forescale.scaler.hpa.metrics import MetricContext, Tolerances, load_metric

T0 = datetime(2025, 3, 1, tzinfo=UTC)
S = timedelta(seconds=1)
PER_POD = 100.0  # capacity 125 x utilization 0.8
PROPERTY = settings(max_examples=100, deadline=None)

policies = st.one_of(
    st.builds(
        ScalingPolicyRule,
        type=st.just("Pods"),
        value=st.integers(1, 12),
        period=st.sampled_from([15, 30, 60, 120]).map(lambda s: s * S),
    ),
    st.builds(
        ScalingPolicyRule,
        type=st.just("Percent"),
        value=st.integers(1, 300),
        period=st.sampled_from([15, 30, 60, 120]).map(lambda s: s * S),
    ),
)


def rules(windows: list[int | None]) -> st.SearchStrategy[ScalingRules]:
    return st.builds(
        ScalingRules,
        policies=st.lists(policies, min_size=1, max_size=3).map(tuple),
        stabilization_window=st.sampled_from(windows).map(lambda w: None if w is None else w * S),
        select_policy=st.sampled_from(["Max", "Max", "Min", "Disabled"]),
        tolerance=st.sampled_from([None, None, 0.0, 0.05, 0.3]),
    )


some_behavior = st.builds(
    HpaBehavior, scale_up=rules([0, 0, 30, 120]), scale_down=rules([None, 0, 45, 300])
)
# Loads on whole replicas (small steps up and down) as well as anywhere in between.
loads = st.none() | st.floats(0, 6000) | st.integers(0, 30).map(lambda n: n * PER_POD)


@dataclass(frozen=True)
class Run:
    behavior: HpaBehavior | None
    low: int
    high: int
    start: int
    steps: list[tuple[int, float | None]]  # (seconds since the previous sync, load)


def make_runs(behaviors: st.SearchStrategy[HpaBehavior | None]) -> st.SearchStrategy[Run]:
    gaps = st.sampled_from([1, 5, 15, 15, 15, 45])
    return st.builds(
        lambda behavior, low, span, start, steps: Run(behavior, low, low + span, start, steps),
        behavior=behaviors,
        low=st.integers(0, 4),
        span=st.integers(1, 40),
        start=st.integers(0, 50),
        steps=st.lists(st.tuples(gaps, loads), min_size=1, max_size=40),
    )


runs = make_runs(st.none() | some_behavior)


def replay(run: Run, hpa: Hpa | None = None) -> list[HpaDecision]:
    hpa = hpa or Hpa(behavior=run.behavior)
    decisions, now, current = [], T0, run.start
    for gap, load in run.steps:
        now += gap * S
        metric = load_metric(load, capacity_per_replica=125, target_utilization=0.8)
        decision = hpa.reconcile(
            now=now,
            current_replicas=current,
            min_replicas=run.low,
            max_replicas=run.high,
            metrics=[metric],
        )
        decisions.append(decision)
        current = decision.replicas
    return decisions


@PROPERTY
@given(runs)
def test_replicas_stay_within_min_and_max(run: Run):
    for d in replay(run):
        if d.condition == "ScalingDisabled":
            assert d.replicas == 0 and d.current_replicas == 0
        else:
            assert run.low <= d.replicas <= run.high, d.reason


def count_at(decisions: list[HpaDecision], initial: int, at: datetime) -> int:
    """Replicas in effect at ``at``: after every sync at or before it."""
    count = initial
    for d in decisions:
        if d.at > at:
            break
        count = d.replicas
    return count


def policy_limit(rules: ScalingRules, *, up: bool, current: int, start_at) -> int:  # noqa: ANN001
    """The rate limit from first principles: each policy allows a change relative to the
    replicas in effect one period ago; Max picks the most permissive, Min the least."""
    if rules.select_policy == "Disabled":
        return current
    limits = []
    for policy in rules.policies:
        start = start_at(policy.period)
        if policy.type == "Pods":
            limits.append(start + policy.value if up else start - policy.value)
        else:
            factor = policy.value / 100
            limits.append(math.ceil(start * (1 + factor)) if up else int(start * (1 - factor)))
    most_permissive = (max if up else min)(limits)
    return most_permissive if rules.select_policy == "Max" else (min if up else max)(limits)


@PROPERTY
@given(runs)
def test_scaling_is_never_faster_than_the_policies_allow(run: Run):
    decisions = replay(run)
    for i, d in enumerate(decisions):
        if d.condition is not None or d.replicas == d.current_replicas:
            continue
        past = decisions[:i]

        def start_at(
            period: timedelta, _past: list[HpaDecision] = past, _d: HpaDecision = d
        ) -> int:
            return count_at(_past, run.start, _d.at - period)

        up = d.replicas > d.current_replicas
        if run.behavior is None:  # legacy: only the per-sync growth cap
            if up:
                assert d.replicas <= legacy_scale_up_limit(d.current_replicas)
            continue
        rules = run.behavior.scale_up if up else run.behavior.scale_down
        other = run.behavior.scale_down if up else run.behavior.scale_up
        # Upstream forgets the other direction's events after *its* longest period; the
        # first-principles bound only matches while that covers this direction's periods.
        if other.longest_period < rules.longest_period:
            continue
        limit = policy_limit(rules, up=up, current=d.current_replicas, start_at=start_at)
        if up:
            assert d.replicas <= max(limit, d.current_replicas), d.reason
        else:
            assert d.replicas >= min(limit, d.current_replicas), d.reason


@PROPERTY
@given(runs)
def test_stabilization_equals_the_upstream_window_scan(run: Run):
    hpa = Hpa(behavior=run.behavior)
    decisions = replay(run, hpa)
    history = [(decisions[0].at, run.start)]  # recordInitialRecommendation
    for d in decisions:
        if d.condition is not None:
            continue
        assert d.proposal is not None
        if run.behavior is None:
            want = stabilize_recommendation_legacy(
                now=d.at, desired_replicas=d.proposal, history=history, window=5 * 60 * S
            )
        else:
            want = stabilize_recommendation(
                now=d.at,
                current_replicas=d.current_replicas,
                desired_replicas=d.proposal,
                history=history,
                scale_up_window=hpa.config.scale_up_window,
                scale_down_window=hpa.config.scale_down_window,
            )
        assert d.stabilized == want
        history.append((d.at, d.proposal))


@PROPERTY
@given(
    load=st.integers(0, 50_000),
    per_pod=st.integers(1, 500),
    pods=st.integers(1, 200),
    tolerance=st.sampled_from([0.0, 0.05, 0.1, 0.25]),
)
def test_a_load_within_tolerance_keeps_the_replicas_and_outside_asks_for_ceil(
    load, per_pod, pods, tolerance
):
    ratio = load / (per_pod * pods)
    assume(min(abs(ratio - (1 - tolerance)), abs(ratio - (1 + tolerance))) > 1e-9)
    metric = load_metric(load, capacity_per_replica=per_pod, target_utilization=1.0)
    ctx = MetricContext(
        now=T0, current_replicas=pods, status_replicas=pods,
        tolerances=Tolerances(tolerance, tolerance),
    )  # fmt: skip
    within = 1 - tolerance <= ratio <= 1 + tolerance
    want = pods if within else math.ceil(load / per_pod)
    assert metric.propose(ctx).replicas == want


@PROPERTY
@given(make_runs(some_behavior), st.integers(0, 5000))
def test_with_a_behavior_a_load_in_tolerance_never_rescales(run: Run, extra: int):
    hpa = Hpa(behavior=run.behavior)
    decisions = replay(run, hpa)
    current, at = decisions[-1].replicas, decisions[-1].at + 15 * S
    assume(run.low <= current <= run.high and current > 0)
    tolerances = hpa.config.tolerances
    load = PER_POD * current * (1 - tolerances.scale_down + (extra / 5000) * (
        tolerances.scale_down + tolerances.scale_up))  # fmt: skip
    ratio = load / (PER_POD * current)
    assume(tolerances.within(ratio))
    decision = hpa.reconcile(
        now=at,
        current_replicas=current,
        min_replicas=run.low,
        max_replicas=run.high,
        metrics=[load_metric(load, capacity_per_replica=125, target_utilization=0.8)],
    )
    assert (decision.proposal, decision.replicas) == (current, current)


@PROPERTY
@given(runs, st.floats(0, 6000), st.floats(0, 6000))
def test_more_load_never_gives_fewer_replicas(run: Run, a: float, b: float):
    low_load, high_load = sorted((a, b))
    results = []
    for load in (low_load, high_load):
        hpa = Hpa(behavior=run.behavior)
        last = replay(run, hpa)[-1]
        decision = hpa.reconcile(
            now=last.at + 15 * S,
            current_replicas=last.replicas,
            min_replicas=run.low,
            max_replicas=run.high,
            metrics=[load_metric(load, capacity_per_replica=125, target_utilization=0.8)],
        )
        results.append(decision.replicas)
    assert results[0] <= results[1]


@PROPERTY
@given(runs)
def test_replays_are_deterministic(run: Run):
    first, second = replay(run), replay(run)
    assert [d.replicas for d in first] == [d.replicas for d in second]
    assert [d.reason for d in first] == [d.reason for d in second]
