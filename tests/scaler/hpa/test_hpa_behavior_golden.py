"""Golden cases for rate limits and stabilization, ported from upstream ``horizontal_test.go``.

Each case names the upstream test (and sub-case) it comes from; expected values are upstream's.
Events are placed as upstream's ``generateEventsUniformDistribution`` places them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.behavior import (
    EventLog,
    HpaBehavior,
    ScaleEvent,
    ScalingPolicyRule,
    ScalingRules,
    changes_within,
    legacy_limit,
    legacy_scale_up_limit,
    limit_rate,
    scale_down_limit,
    scale_up_limit,
    store_event,
)
from forescale.scaler.hpa.history import (
    stabilize_recommendation,
    stabilize_recommendation_legacy,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def rules(
    pods: int, pods_period: int, percent: int, percent_period: int, window: int
) -> ScalingRules:
    """upstream generateScalingRules: a Pods and/or Percent policy, select Max."""
    policies = []
    if pods:
        policies.append(ScalingPolicyRule(type="Pods", value=pods, period=pods_period * S))
    if percent:
        policies.append(ScalingPolicyRule(type="Percent", value=percent, period=percent_period * S))
    return ScalingRules(policies=tuple(policies), stabilization_window=window * S)


def uniform(changes: list[int], period: int = 120) -> list[ScaleEvent]:
    """upstream generateEventsUniformDistribution: one event in the middle of each segment."""
    if not changes:
        return []
    segment = period / len(changes)
    return [
        ScaleEvent(at=NOW - int(period - segment * (i + 1) + segment / 2) * S, change=c)
        for i, c in enumerate(changes)
    ]


def behavior(up: ScalingRules | None = None, down: ScalingRules | None = None) -> HpaBehavior:
    """GenerateHPAScale{Up,Down}Rules: an unset direction gets the API defaults."""
    return HpaBehavior(
        scale_up=up or ScalingRules.default_scale_up(),
        scale_down=down or ScalingRules.default_scale_down(),
    )


def limited(name, current, desired, want, why=None, *, low=1, high=1000, **kw):
    """A TestScalingWithRules case; ``kw``: up/down rules, up_events/down_events changes."""
    return pytest.param(current, desired, low, high, kw, want, why, id=name)


# fmt: off
SCALING_WITH_RULES = [
    limited("prenormalized desired replicas within range", 5, 7, 7, low=3, high=8),
    limited("prenormalized desired replicas < minReplicas", 3, 1, 2, "TooFewReplicas", low=2,
        high=8),
    limited("desired replicas within range when minReplicas is 0", 1, 0, 0, low=0, high=10),
    limited("maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 10,
        "TooManyReplicas", high=10),
    limited("desired replica count is more than the maximum replica count", 100, 1000, 150,
        "TooManyReplicas", low=100, high=150),
    limited("scaleUpLimit < maxReplicas with user policies", 3, 1000, 4, "ScaleUpLimit", high=2000,
        up=rules(0, 0, 1, 60, 0)),
    limited("scaleUp with default behavior", 10, 50, 20, "ScaleUpLimit"),
    limited("scaleUp with pods policy larger than percent policy", 10, 500, 110, "ScaleUpLimit",
        up=rules(100, 60, 100, 60, 0)),
    limited("scaleUp with percent policy larger than pods policy", 10, 500, 20, "ScaleUpLimit",
        up=rules(2, 60, 100, 60, 0)),
    limited("scaleUp with spec MaxReplicas limitation with large pod policy", 10, 50, 50,
        up=rules(100, 60, 0, 0, 0)),
    limited("scaleUp with spec MaxReplicas limitation with large percent policy", 10, 50, 50,
        up=rules(10000, 60, 0, 0, 0)),
    limited("scaleUp with pod policy limitation", 10, 50, 40, "ScaleUpLimit",
        up=rules(30, 60, 0, 0, 0)),
    limited("scaleUp with percent policy limitation", 10, 50, 30, "ScaleUpLimit",
        up=rules(0, 0, 200, 60, 0)),
    limited("scaleDown with percent policy larger than pod policy", 100, 2, 80, "ScaleDownLimit",
        down=rules(20, 60, 1, 60, 300)),
    limited("scaleDown with pod policy larger than percent policy", 100, 2, 98, "ScaleDownLimit",
        down=rules(2, 60, 1, 60, 300)),
    limited("scaleDown with spec MinReplicas limitation with large pod policy", 10, 0, 1,
        "TooFewReplicas", down=rules(100, 60, 0, 0, 300)),
    limited("scaleDown with spec MinReplicas limitation with large percent policy", 10, 2, 5,
        "TooFewReplicas", low=5, down=rules(0, 0, 100, 60, 300)),
    limited("scaleDown with pod policy limitation", 10, 2, 5, "ScaleDownLimit",
        down=rules(5, 60, 0, 0, 300)),
    limited("scaleDown with percent policy limitation", 10, 5, 5, down=rules(0, 0, 50, 60, 300)),
    limited("scaleUp with MaxReplicas limitation with large pod policy and events", 100, 500, 200,
        "TooManyReplicas", high=200, up=rules(300, 60, 0, 0, 0), up_events=[1, 5, 9]),
    limited("scaleUp with MaxReplicas limitation with large percent policy and events", 100, 500,
        200, "TooManyReplicas", high=200, up=rules(0, 0, 10000, 60, 0), up_events=[1, 5, 9]),
    limited("scaleUp with currentReplicas limitation with a lot of recent scale up events", 100,
        500, 100, "ScaleUpLimit", up=rules(5, 120, 0, 0, 0), up_events=[1, 5, 9]),
    limited("scaleUp with pod policy and previous scale up events", 100, 500, 235, "ScaleUpLimit",
        up=rules(150, 120, 0, 0, 0), up_events=[1, 5, 9]),
    limited("scaleUp with percent policy and previous scale up events", 100, 500, 255,
        "ScaleUpLimit", up=rules(0, 0, 200, 120, 0), up_events=[1, 5, 9]),
    limited("scaleUp with percent policy and previous scale up and down events", 6, 24, 16,
        "ScaleUpLimit", up=rules(0, 0, 300, 300, 0), up_events=[4], down_events=[2]),
    limited("scaleDown with default policy and previous events", 10, 5, 5, down_events=[1, 5, 9]),
    limited("scaleDown with MinReplicas=nil limitation with large pod policy and previous events",
        100, 0, 1, "TooFewReplicas", down=rules(115, 120, 0, 0, 300), down_events=[1, 5, 9]),
    limited("scaleDown with MinReplicas limitation with large pod policy and previous events", 100,
        0, 5, "TooFewReplicas", low=5, down=rules(130, 120, 0, 0, 300), down_events=[1, 5, 9]),
    limited("scaleDown with MinReplicas limitation with large percent policy and previous events",
        100, 2, 5, "TooFewReplicas", low=5, down=rules(0, 0, 100, 120, 300), down_events=[1, 5, 9]),
    limited("scaleDown with pod policy limitation and previous events", 100, 2, 100,
        "ScaleDownLimit", down=rules(5, 120, 0, 0, 300), down_events=[1, 5, 9]),
    limited("scaleDown with percent policy limitation and previous events", 100, 0, 56,
        "ScaleDownLimit", down=rules(0, 0, 50, 120, 300), down_events=[2, 4, 6]),
    limited("scaleDown with percent policy and previous scale up and down events", 10, 1, 6,
        "ScaleDownLimit", down=rules(0, 0, 50, 180, 0), up_events=[2], down_events=[4]),
    limited("scaleDown with previous events preventing further scale down", 100, 0, 100,
        "ScaleDownLimit", down=rules(0, 0, 10, 120, 300), down_events=[10, 10, 10]),
    limited("scaleDown with previous events still allowing more scale down", 10, 5, 5,
        down=rules(0, 0, 1000, 120, 300), down_events=[10, 10, 10]),
    limited("check 'outdated' flag for events for one behavior for up", 100, 200, 200,
        up=rules(1000, 60, 0, 0, 0), up_events=[8, 12, 9, 11]),
    limited("events not marked 'outdated' for two different policies for up", 100, 200, 200,
        up=rules(1000, 120, 100, 60, 0), up_events=[8, 12, 9, 11]),
    limited("events marked 'outdated' for two different policies for up", 100, 200, 200,
        up=rules(1000, 30, 100, 60, 0), up_events=[8, 12, 9, 11]),
    limited("check 'outdated' flag for events for one behavior for down", 100, 5, 5,
        down=rules(1000, 60, 0, 0, 300), down_events=[8, 12, 9, 11]),
    limited("events not marked 'outdated' for two different policies for down", 100, 5, 5,
        down=rules(1000, 120, 100, 60, 300), down_events=[8, 12, 9, 11]),
    limited("events marked 'outdated' for two different policies for down", 100, 5, 5,
        down=rules(1000, 30, 100, 60, 300), down_events=[8, 12, 9, 11]),
]
# fmt: on


@pytest.mark.parametrize(
    ("current", "desired", "low", "high", "kw", "want", "why"), SCALING_WITH_RULES
)
def test_rate_limits_match_upstream_TestScalingWithRules(
    current, desired, low, high, kw, want, why
):
    replicas, limited_by = limit_rate(
        now=NOW,
        desired_replicas=desired,
        current_replicas=current,
        min_replicas=low,
        max_replicas=high,
        behavior=behavior(kw.get("up"), kw.get("down")),
        scale_up_events=uniform(kw.get("up_events", [])),
        scale_down_events=uniform(kw.get("down_events", [])),
    )
    assert (replicas, limited_by) == (want, why)


def test_select_policy_min_takes_the_smaller_scale_up_TestCalculateScaleUpLimitWithScalingRules():
    two = (
        ScalingPolicyRule(type="Pods", value=2, period=60 * S),
        ScalingPolicyRule(type="Percent", value=50, period=60 * S),
    )
    min_rules = ScalingRules(policies=two, stabilization_window=300 * S, select_policy="Min")
    assert scale_up_limit(now=NOW, current_replicas=1, rules=min_rules) == 2


def test_select_policy_min_takes_the_smaller_scale_down_TestCalculateScaleDownLimitWithBehaviors():
    two = (
        ScalingPolicyRule(type="Pods", value=2, period=60 * S),
        ScalingPolicyRule(type="Percent", value=50, period=60 * S),
    )
    min_rules = ScalingRules(policies=two, stabilization_window=300 * S, select_policy="Min")
    assert scale_down_limit(now=NOW, current_replicas=5, rules=min_rules) == 3


def test_disabled_select_policy_freezes_that_direction():
    frozen = ScalingRules(
        policies=(ScalingPolicyRule(type="Pods", value=4, period=15 * S),), select_policy="Disabled"
    )
    assert scale_up_limit(now=NOW, current_replicas=7, rules=frozen) == 7
    assert limit_rate(
        now=NOW,
        desired_replicas=2,
        current_replicas=7,
        min_replicas=1,
        max_replicas=10,
        behavior=behavior(down=frozen),
    ) == (7, "ScaleDownLimit")


# TestStoreScaleEvents: (name, previous events as (seconds ago, change), rules, changes in the
# last 60 s before storing, stored (change, outdated) after storing a change of 5)
# fmt: off
STORE_SCALE_EVENTS = [
    ("empty entries with two-policy-behavior", [], rules(10, 60, 100, 60, 0), 0, [(5, 0)]),
    ("one outdated entry to be replaced with behavior", [(61, 7)], rules(10, 60, 100, 60, 0), 0,
        [(5, 0)]),
    ("one actual entry to be not touched with behavior", [(58, 7)], rules(10, 60, 100, 60, 0), 7,
        [(7, 0), (5, 0)]),
    ("two entries, one of them to be replaced", [(61, 7), (59, 6)], rules(10, 60, 0, 0, 0), 6,
        [(5, 0), (6, 0)]),
    ("replace one entry, use policies with different periods", [(29, 8), (59, 6), (61, 7), (61, 9)],
        rules(10, 60, 100, 30, 0), 14, [(8, 0), (6, 0), (7, 1), (5, 0)]),
    ("two entries, both actual", [(58, 7), (59, 6)], rules(10, 120, 100, 30, 0), 13,
        [(7, 0), (6, 0), (5, 0)]),
]
# fmt: on


@pytest.mark.parametrize(
    ("previous", "scaling", "recent", "stored"),
    [case[1:] for case in STORE_SCALE_EVENTS],
    ids=[case[0] for case in STORE_SCALE_EVENTS],
)
def test_scale_event_log_reuses_outdated_slots_like_upstream_TestStoreScaleEvents(
    previous, scaling, recent, stored
):
    now_us = int(NOW.timestamp()) * 10**6
    log: EventLog = [[now_us - ago * 10**6, change, 0] for ago, change in previous]
    assert changes_within(log, now_us=now_us, period_us=60 * 10**6) == recent
    longest = scaling.longest_period // timedelta(microseconds=1)
    store_event(log, now_us=now_us, change=5, longest_period_us=longest)
    assert [(change, outdated) for _, change, outdated in log] == stored


# TestNormalizeDesiredReplicasWithBehavior: (name, history as (minutes ago, recommendation),
# current, desired, expected, up window s, down window s)
# fmt: off
STABILIZE_WITH_BEHAVIOR = [
    ("empty recommendations for scaling down", [], 100, 5, 5, 0, 0),
    ("simple scale down stabilization", [(2, 4), (1, 5)], 100, 3, 5, 0, 180),
    ("simple scale up stabilization", [(2, 4), (1, 5)], 1, 7, 4, 300, 0),
    ("no scale down stabilization", [(2, 1), (1, 2)], 100, 3, 3, 300, 0),
    ("no scale up stabilization", [(2, 4), (1, 5)], 1, 3, 3, 0, 300),
    ("no scale down stabilization, reuse recommendation element", [(10, 10), (9, 9)], 100, 3, 3, 0,
        0),
    ("no scale up stabilization, reuse recommendation element", [(10, 10), (9, 9)], 1, 100, 100, 0,
        0),
    ("scale down stabilization, reuse one of obsolete recommendation element",
        [(10, 10), (1, 4), (2, 5), (9, 9)], 100, 3, 5, 0, 180),
    ("scale up stabilization, reuse one of obsolete recommendation element",
        [(100, 10), (1, 6), (2, 5), (3, 9)], 1, 100, 5, 300, 0),
    ("do not scale up when prenormalized rec goes down", [(100, 2), (3, 3)], 2, 1, 2, 300, 300),
    ("do not scale down when prenormalized rec goes up", [(100, 2), (3, 1)], 2, 3, 2, 300, 300),
]
# fmt: on


@pytest.mark.parametrize(
    ("history", "current", "desired", "want", "up_window", "down_window"),
    [case[1:] for case in STABILIZE_WITH_BEHAVIOR],
    ids=[case[0] for case in STABILIZE_WITH_BEHAVIOR],
)
def test_stabilization_with_behavior_matches_upstream_TestNormalizeDesiredReplicasWithBehavior(
    history, current, desired, want, up_window, down_window
):
    got = stabilize_recommendation(
        now=NOW,
        current_replicas=current,
        desired_replicas=desired,
        history=[(NOW - timedelta(minutes=ago), rec) for ago, rec in history],
        scale_up_window=up_window * S,
        scale_down_window=down_window * S,
    )
    assert got == want


# TestNormalizeDesiredReplicas (no behavior, 5 min window): (name, history, desired, expected)
STABILIZE_LEGACY = [
    ("empty log", [], 5, 5),
    ("stabilize", [(2, 4), (1, 5)], 3, 5),
    ("no stabilize", [(2, 1), (1, 2)], 3, 3),
    ("no stabilize - old recommendations", [(10, 10), (9, 9)], 3, 3),
    ("stabilize - old recommendations", [(10, 10), (1, 4), (2, 5), (9, 9)], 3, 5),
]


@pytest.mark.parametrize(
    ("history", "desired", "want"),
    [case[1:] for case in STABILIZE_LEGACY],
    ids=[case[0] for case in STABILIZE_LEGACY],
)
def test_legacy_stabilization_is_the_window_maximum_TestNormalizeDesiredReplicas(
    history, desired, want
):
    got = stabilize_recommendation_legacy(
        now=NOW,
        desired_replicas=desired,
        history=[(NOW - timedelta(minutes=ago), rec) for ago, rec in history],
        window=timedelta(minutes=5),
    )
    assert got == want


# TestConvertDesiredReplicasWithRules: (name, current, desired, min, max, expected, condition);
# upstream's test binary sets scaleUpLimitFactor = 8, the controller ships 2: max(2 x 3, 4) = 6.
# fmt: off
CONVERT_WITH_RULES = [
    ("prenormalized desired replicas within range", 5, 7, 3, 8, 7, None),
    ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, "TooFewReplicas"),
    ("prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, None),
    ("maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10,
        "TooManyReplicas"),
    ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas", 3, 1000, 1, 2000, 6,
        "ScaleUpLimit"),
]
# fmt: on


@pytest.mark.parametrize(
    ("current", "desired", "low", "high", "want", "why"),
    [case[1:] for case in CONVERT_WITH_RULES],
    ids=[case[0] for case in CONVERT_WITH_RULES],
)
def test_legacy_bounds_match_upstream_TestConvertDesiredReplicasWithRules(
    current, desired, low, high, want, why
):
    got = legacy_limit(
        desired_replicas=desired, current_replicas=current, min_replicas=low, max_replicas=high
    )
    assert got == (want, why)


def test_legacy_scale_up_limit_doubles_with_a_floor_of_four():
    assert [legacy_scale_up_limit(n) for n in (0, 1, 2, 3, 10)] == [4, 4, 4, 6, 20]


def test_default_behavior_is_the_autoscaling_v2_default():
    default = HpaBehavior.default()
    assert [str(p) for p in default.scale_up.policies] == ["4 pods/15s", "100%/15s"]
    assert default.scale_up.stabilization_window == timedelta(0)
    assert default.scale_up.select_policy == "Max"
    assert [str(p) for p in default.scale_down.policies] == ["100%/15s"]
    assert default.scale_down.stabilization_window is None  # the controller's 300 s applies


UP = ScalingRules.default_scale_up().policies


# fmt: off
@pytest.mark.parametrize(("make", "message"), [
    (lambda: ScalingPolicyRule(type="Pods", value=0, period=15 * S), "positive integer"),
    (lambda: ScalingPolicyRule(type="Pod", value=1, period=15 * S), "'Pods' or 'Percent'"),
    (lambda: ScalingPolicyRule(type="Pods", value=1, period=1801 * S), r"\[1, 1800\]"),
    (lambda: ScalingPolicyRule(type="Pods", value=1, period=1.5 * S), "whole number"),
    (lambda: ScalingRules(policies=()), "at least one policy"),
    (lambda: ScalingRules(policies=UP, stabilization_window=3601 * S), r"\[0, 3600\]"),
    (lambda: ScalingRules(policies=UP, tolerance=-0.1), "tolerance"),
])
# fmt: on
def test_invalid_behavior_is_rejected_with_a_message_that_says_what_to_fix(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_naive_times_are_rejected():
    with pytest.raises(ConfigError, match="tz-aware"):
        scale_up_limit(
            now=datetime(2025, 1, 1), current_replicas=1, rules=ScalingRules.default_scale_up()
        )
