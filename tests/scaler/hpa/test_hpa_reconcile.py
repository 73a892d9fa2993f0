"""`Hpa.reconcile` as a stateful controller: time, history, guards, and its explanations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.behavior import HpaBehavior, ScalingPolicyRule, ScalingRules
from forescale.scaler.hpa.controller import Hpa, HpaDecision
from forescale.scaler.hpa.metrics import ExternalMetric, MetricContext, ObjectMetric, load_metric

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SYNC = timedelta(seconds=15)


def asks(replicas: int) -> ExternalMetric:
    """A load that asks for exactly ``replicas`` (100 per pod)."""
    return load_metric(replicas * 100.0, capacity_per_replica=100, target_utilization=1.0)


def sync(
    hpa: Hpa, at: datetime, current: int, metric: ExternalMetric, *, low: int = 1, high: int = 100
) -> HpaDecision:
    return hpa.reconcile(
        now=at, current_replicas=current, min_replicas=low, max_replicas=high, metrics=[metric]
    )


def one_pod_per_15s() -> HpaBehavior:
    rule = ScalingPolicyRule(type="Pods", value=1, period=SYNC)
    return HpaBehavior(scale_up=ScalingRules(policies=(rule,), stabilization_window=timedelta(0)))


def test_an_event_exactly_one_period_old_no_longer_limits_scale_up():
    hpa = Hpa(behavior=one_pod_per_15s())
    assert sync(hpa, T0, 1, asks(5)).replicas == 2  # +1 per 15 s
    assert sync(hpa, T0 + SYNC, 2, asks(5)).replicas == 3  # the +1 at T0 is out of the period
    assert sync(hpa, T0 + SYNC + timedelta(seconds=14), 3, asks(5)).replicas == 3


def test_a_recommendation_exactly_one_window_old_counts_only_without_behavior():
    legacy, with_behavior = Hpa(), Hpa(behavior=HpaBehavior.default())
    for hpa in (legacy, with_behavior):
        sync(hpa, T0, 5, asks(5))
    window = timedelta(minutes=5)
    assert sync(legacy, T0 + window, 5, asks(2)).replicas == 5  # !Before(cutoff): still in
    assert sync(with_behavior, T0 + window, 5, asks(2)).replicas == 2  # After(cutoff): out


def test_a_fresh_hpa_holds_scale_down_for_the_window_like_a_restarted_controller():
    hpa = Hpa()
    replicas = [sync(hpa, T0 + i * SYNC, 8, asks(2)).replicas for i in range(22)]
    # recordInitialRecommendation: the 8 stays in the (inclusive, legacy) 5 min window
    assert replicas[:21] == [8] * 21
    assert replicas[21:] == [2]


def test_rescales_by_the_min_max_guards_count_against_the_rate_limits():
    hpa = Hpa(behavior=one_pod_per_15s())
    decision = sync(hpa, T0, 1, asks(9), low=3)
    assert (decision.replicas, decision.condition) == (3, "BelowMinReplicas")
    # storeScaleEvent ran for the guard's +2, so within the period the +1 policy allows nothing.
    assert sync(hpa, T0 + timedelta(seconds=5), 3, asks(9), low=3).replicas == 3


def test_a_gap_in_the_only_metric_keeps_the_current_replicas():
    hpa = Hpa()
    gap = load_metric(None, capacity_per_replica=100, target_utilization=0.8)
    decision = sync(hpa, T0, 7, gap)
    assert (decision.replicas, decision.condition, decision.scaled) == (7, "InvalidMetrics", False)
    assert decision.reason == (
        "load: unavailable (no value returned: a gap in the data); "
        "no metric could be evaluated -> keep 7"
    )


def test_the_highest_metric_wins_and_the_explanation_lists_every_metric():
    hpa = Hpa(behavior=HpaBehavior.default())
    decision = hpa.reconcile(
        now=T0,
        current_replicas=4,
        min_replicas=1,
        max_replicas=10,
        metrics=[
            asks(6),
            load_metric(
                1130, capacity_per_replica=125, target_utilization=0.8, name="rps", unit="req/s"
            ),
        ],
    )
    assert (decision.proposal, decision.replicas, decision.limited_by) == (12, 8, "ScaleUpLimit")
    assert [step.name for step in decision.steps] == ["metric", "metric", "max", "limit"]
    assert decision.reason.endswith(
        "highest metric proposal: 12; scale-up rate limit (4 pods/15s, 100%/15s; select Max) -> 8"
    )


def test_explanation_names_the_stabilization_window_that_held_a_scale_down():
    hpa = Hpa()
    sync(hpa, T0, 12, asks(12))
    decision = sync(hpa, T0 + SYNC, 12, asks(9))
    assert decision.reason == (
        "external metric load: 900 / 100 per pod = 9 -> 9; "
        "scale-down stabilization (highest recommendation of the last 5m) -> 12"
    )
    assert decision.steps[-1].replicas == 12


def test_explanation_of_the_legacy_scale_up_cap():
    decision = sync(Hpa(), T0, 3, asks(20))
    assert decision.reason.endswith("scale-up limit max(2 x 3, 4) -> 6")


def test_status_replicas_are_what_per_pod_targets_divide_by():
    # 12 pods exist (a rollout surge) while spec says 10: 1,150 / 12 = 96 per pod, in tolerance.
    hpa = Hpa()
    decision = hpa.reconcile(
        now=T0, current_replicas=10, min_replicas=1, max_replicas=20, status_replicas=12,
        metrics=[load_metric(1150, capacity_per_replica=100, target_utilization=1.0)],
    )  # fmt: skip
    assert decision.proposal == 12  # within tolerance of the 12 existing pods


def test_time_going_backwards_is_refused_with_a_way_out():
    hpa = Hpa()
    sync(hpa, T0, 3, asks(3))
    with pytest.raises(ConfigError, match="earlier than the previous sync.*new Hpa"):
        sync(hpa, T0 - timedelta(seconds=1), 3, asks(3))


def test_the_same_instant_twice_is_allowed():
    hpa = Hpa()
    sync(hpa, T0, 3, asks(3))
    assert sync(hpa, T0, 3, asks(3)).replicas == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"now": datetime(2025, 1, 1)}, "tz-aware"),
        ({"current_replicas": -1}, ">= 0"),
        ({"max_replicas": 0, "min_replicas": 0}, "max_replicas"),
        ({"min_replicas": 5, "max_replicas": 4}, "max_replicas"),
        ({"metrics": []}, "at least one metric"),
    ],
)
def test_bad_reconcile_arguments_raise_config_errors(kwargs, message):
    args = {"now": T0, "current_replicas": 3, "min_replicas": 1, "max_replicas": 5}
    args["metrics"] = [asks(3)]
    args |= kwargs
    with pytest.raises(ConfigError, match=message):
        Hpa().reconcile(**args)


def test_bad_hpa_settings_raise_config_errors():
    with pytest.raises(ConfigError, match="tolerance"):
        Hpa(tolerance=-0.1)
    with pytest.raises(ConfigError, match="downscale_stabilization"):
        Hpa(downscale_stabilization=timedelta(seconds=-1))


# -- an Object/External Value metric whose selector matches no pods ---------------------------
def _qps(pods: int | None, ready: int | None = None) -> ObjectMetric:
    return ObjectMetric(name="qps", value=20, target_value=10, ready_pods=ready, pods=pods)


def test_a_value_metric_whose_selector_matches_no_pods_is_invalid_and_the_hpa_holds():
    # 20 / 10 = 2x the target over 3 replicas: with pods it asks for ceil(2 x 3) = 6; with none
    # upstream cannot count ready pods (an error), so the metric is invalid, never a proposal of 0.
    assert sync(Hpa(behavior=HpaBehavior()), T0, 3, _qps(pods=3)).replicas == 6
    decision = sync(Hpa(behavior=HpaBehavior()), T0, 3, _qps(pods=0))
    assert decision.replicas == 3 and decision.condition == "InvalidMetrics"
    assert "no pods returned by selector" in decision.reason
    # With another metric asking for less, an invalid one still blocks the scale-down.
    both = Hpa(behavior=HpaBehavior()).reconcile(
        now=T0, current_replicas=3, min_replicas=1, max_replicas=10, metrics=[_qps(0), asks(1)]
    )
    assert both.replicas == 3 and both.condition == "InvalidMetrics"


def test_pods_that_exist_but_are_not_ready_still_propose_zero_as_upstream():
    assert _qps(pods=2, ready=0).propose(ctx_for(3)).replicas == 0
    # Within tolerance, or scaling from zero, upstream never counts pods: no error either way.
    assert (
        ObjectMetric(name="q", value=10.5, target_value=10, pods=0).propose(ctx_for(3)).replicas
        == 3
    )
    assert _qps(pods=0).propose(ctx_for(0)).replicas == 2


def test_more_ready_pods_than_pods_is_a_configuration_error():
    with pytest.raises(ConfigError, match="pods must be >= ready_pods"):
        _qps(pods=1, ready=2)


def ctx_for(current: int) -> MetricContext:
    return MetricContext(now=T0, current_replicas=current, status_replicas=current)
