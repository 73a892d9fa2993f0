"""Replica-calculator golden cases ported from upstream ``replica_calculator_test.go``.

Each case names the upstream test; expected replicas (and utilisation, where upstream checks it)
are upstream's. Levels are milli-units per pod as in upstream; every pod requests 1 core unless
the case says otherwise. Upstream's test calculator uses a 2 min CPU initialization period and a
10 s initial readiness delay; "hot" pods started now, "cool" ones 3 minutes ago.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.metrics import (
    ExternalMetric,
    HpaMetricError,
    MetricContext,
    ObjectMetric,
    Tolerances,
    load_metric,
)
from forescale.scaler.hpa.pods import PodSample, PodsMetric, ResourceMetric, group_pods

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOT, COOL = NOW, NOW - timedelta(minutes=3)


def ctx(current: int, *, status: int | None = None) -> MetricContext:
    return MetricContext(
        now=NOW,
        current_replicas=current,
        status_replicas=current if status is None else status,
        cpu_initialization_period=timedelta(minutes=2),
        initial_readiness_delay=timedelta(seconds=10),
    )


def pods(
    levels: Sequence[int],
    count: int,
    *,
    requests: Sequence[float] | None = None,
    ready: Sequence[bool] | None = None,
    started: Sequence[datetime | None] | None = None,
    phase: Sequence[str] | None = None,
    deleting: Sequence[bool] | None = None,
) -> tuple[PodSample, ...]:
    return tuple(
        PodSample(
            value=levels[i] / 1000 if i < len(levels) else None,
            request=requests[i] if requests else 1.0,
            ready=ready[i] if ready else True,
            started_at=started[i] if started else None,
            ready_since=started[i] if started else None,
            phase=phase[i] if phase else "Running",
            deleting=deleting[i] if deleting else False,
            metric_at=NOW,
            metric_window=timedelta(minutes=1),
        )
        for i in range(count)
    )


# (upstream test, current replicas, target %, levels, pod options, expected replicas, expected %)
# fmt: off
CPU_CASES = [
    ("TestReplicaCalcScaleUp", 3, 30, [300, 500, 700], {}, 5, 50),
    ("TestReplicaCalcScaleUpUnreadyLessScale", 3, 30, [300, 500, 700],
        {"ready": [False, True, True]}, 4, 60),
    ("TestReplicaCalcScaleUpHotCpuLessScale", 3, 30, [300, 500, 700],
        {"started": [HOT, COOL, COOL]}, 4, 60),
    ("TestReplicaCalcScaleUpUnreadyNoScale", 3, 30, [400, 500, 700],
        {"ready": [True, False, False]}, 3, 40),
    ("TestReplicaCalcScaleDown", 5, 50, [100, 300, 500, 250, 250], {}, 3, 28),
    ("TestReplicaCalcScaleDownIncludeUnreadyPods", 5, 50, [100, 300, 500, 250, 250],
        {"ready": [True] * 3 + [False] * 2}, 2, 30),
    ("TestReplicaCalcScaleDownExcludeUnscheduledPods", 5, 50, [100],
        {"ready": [True] + [False] * 4, "phase": ["Running"] + ["Pending"] * 4}, 1, 10),
    ("TestReplicaCalcScaleDownIgnoreHotCpuPods", 5, 50, [100, 300, 500, 250, 250],
        {"started": [COOL] * 3 + [HOT] * 2}, 2, 30),
    ("TestReplicaCalcScaleDownIgnoresFailedPods", 7, 50, [100, 300, 500, 250, 250],
        {"ready": [True] * 5 + [False] * 2, "phase": ["Running"] * 5 + ["Failed"] * 2}, 3, 28),
    ("TestReplicaCalcScaleDownIgnoresDeletionPods", 7, 50, [100, 300, 500, 250, 250],
        {"ready": [True] * 5 + [False] * 2, "deleting": [False] * 5 + [True] * 2}, 3, 28),
    ("TestReplicaCalcTolerance", 3, 100, [1010, 1030, 1020], {"requests": [0.9, 1.0, 1.1]}, 3, 102),
    ("TestReplicaCalcMissingMetrics", 4, 100, [400, 95], {}, 3, 24),
    ("TestReplicaCalcMissingMetricsNoChangeEq", 2, 100, [1000], {}, 2, 100),
    ("TestReplicaCalcMissingMetricsNoChangeGt", 2, 100, [1900], {}, 2, 190),
    ("TestReplicaCalcMissingMetricsNoChangeLt", 2, 100, [600], {}, 2, 60),
    ("TestReplicaCalcMissingMetricsUnreadyNoChange", 3, 50, [100, 450],
        {"ready": [False, True, True]}, 3, 45),
    ("TestReplicaCalcMissingMetricsHotCpuNoChange", 3, 50, [100, 450],
        {"started": [HOT, COOL, COOL]}, 3, 45),
    ("TestReplicaCalcMissingMetricsUnreadyScaleUp", 3, 50, [100, 2000],
        {"ready": [False, True, True]}, 4, 200),
    ("TestReplicaCalcMissingMetricsHotCpuScaleUp", 3, 50, [100, 2000],
        {"ready": [False, True, True], "started": [HOT, COOL, COOL]}, 4, 200),
    ("TestReplicaCalcMissingMetricsUnreadyScaleDown", 4, 50, [100, 100, 100],
        {"ready": [False, True, True, True]}, 3, 10),
    ("TestReplicaCalcMissingMetricsScaleDownTargetOver100", 4, 300, [200, 100, 100],
        {"ready": [False, True, True, True], "requests": [1.0, 1.0, 2.0, 2.0]}, 2, 6),
]
# fmt: on


@pytest.mark.parametrize(
    ("current", "target", "levels", "options", "want", "utilization"),
    [case[1:] for case in CPU_CASES],
    ids=[case[0] for case in CPU_CASES],
)
def test_cpu_utilization_replicas_match_upstream(
    current, target, levels, options, want, utilization
):
    metric = ResourceMetric(pods=pods(levels, current, **options), target_utilization=target)
    proposal = metric.propose(ctx(current))
    assert (proposal.replicas, proposal.usage) == (want, utilization)


def test_surge_pod_without_metrics_cannot_flip_a_scale_down():
    """upstream TestReplicaCalcDuringRollingUpdateWithMaxSurge."""
    # 3 pods exist (25 % surge) but spec says 2; the surge pod has no sample yet.
    metric = ResourceMetric(pods=pods([100, 100], 3), target_utilization=50)
    assert metric.propose(ctx(2, status=3)).replicas == 2


# (upstream test, current replicas, target average, per-pod levels, readiness, expected)
# fmt: off
PODS_METRIC_CASES = [
    ("TestReplicaCalcScaleUpCM", 3, 15, [20000, 10000, 30000], None, 4),
    ("TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale", 3, 15, [50000, 10000, 30000],
        [True, True, False], 6),
    ("TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown", 3, 15, [50000, 15000, 30000],
        [False, True, False], 7),
    ("TestReplicaCalcScaleUpCMExternalNoLabels", 1, 4.4, [8600], None, 2),
    ("TestReplicaCalcScaleDownCM", 5, 20, [12000] * 5, None, 3),
    ("TestReplicaCalcToleranceCM", 3, 20, [20000, 21000, 21000], None, 3),
]
# fmt: on


@pytest.mark.parametrize(
    ("current", "target", "levels", "ready", "want"),
    [case[1:] for case in PODS_METRIC_CASES],
    ids=[case[0] for case in PODS_METRIC_CASES],
)
def test_pods_metric_replicas_ignore_readiness_like_upstream(current, target, levels, ready, want):
    metric = PodsMetric(
        name="qps", pods=pods(levels, current, ready=ready), target_average_value=target
    )
    assert metric.propose(ctx(current)).replicas == want


# (upstream test, metric, current replicas, expected)
# fmt: off
SINGLE_VALUE_CASES = [
    ("TestReplicaCalcScaleUpCMObject", ObjectMetric(name="qps", value=20, target_value=15), 3, 4),
    ("TestReplicaCalcScaleUpCMExternal", ExternalMetric(name="qps", value=8.6, target_value=4.4), 1,
        2),
    ("TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods",
        ExternalMetric(name="qps", value=8.6, target_value=4.4, ready_pods=1), 3, 2),
    ("TestReplicaCalcScaleUpPerPodCMExternal",
        ExternalMetric(name="qps", value=8.6, target_average_value=2.15), 3, 4),
    ("TestReplicaCalcScaleDownPerPodCMObject",
        ObjectMetric(name="qps", value=6, target_average_value=2), 5, 3),
    ("TestReplicaCalcScaleDownCMObject", ObjectMetric(name="qps", value=12, target_value=20), 5, 3),
    ("TestReplicaCalcScaleDownCMExternal",
        ExternalMetric(name="qps", value=8.6, target_value=14.334), 5, 3),
    ("TestReplicaCalcScaleDownPerPodCMExternal",
        ExternalMetric(name="qps", value=8.6, target_average_value=2.867), 5, 3),
    ("TestReplicaCalcToleranceCMObject", ObjectMetric(name="qps", value=20.666, target_value=20), 3,
        3),
    ("TestReplicaCalcTolerancePerPodCMObject",
        ObjectMetric(name="qps", value=20.166, target_average_value=5), 4, 4),
    ("TestReplicaCalcToleranceCMExternal",
        ExternalMetric(name="qps", value=8.6, target_value=8.888), 3, 3),
    ("TestReplicaCalcTolerancePerPodCMExternal",
        ExternalMetric(name="qps", value=8.6, target_average_value=2.9), 3, 3),
]
# fmt: on


@pytest.mark.parametrize(
    ("metric", "current", "want"),
    [case[1:] for case in SINGLE_VALUE_CASES],
    ids=[case[0] for case in SINGLE_VALUE_CASES],
)
def test_object_and_external_replicas_match_upstream(metric, current, want):
    assert metric.propose(ctx(current)).replicas == want


def test_no_samples_at_all_is_an_invalid_metric_TestReplicaCalcEmptyMetrics():
    metric = ResourceMetric(pods=pods([], 4), target_utilization=100)
    with pytest.raises(HpaMetricError, match="did not receive metrics"):
        metric.propose(ctx(4))


def test_a_pod_without_a_request_is_an_invalid_metric_TestReplicaCalcEmptyCPURequest():
    metric = ResourceMetric(pods=(PodSample(value=0.2),), target_utilization=100)
    with pytest.raises(HpaMetricError, match="missing request for cpu"):
        metric.propose(ctx(1))


# TestGroupPods (CPU init period 2 min, readiness delay 10 s): (name, pod, resource, counted as)
M, S = timedelta(minutes=1), timedelta(seconds=1)


def sample(**kw: object) -> PodSample:
    return PodSample(value=0.001, **kw)


# fmt: off
GROUP_PODS = [
    ("count in a ready pod - memory",
        sample(ready=None, phase="Succeeded"), "memory", "ready"),
    ("ignore a pod without ready condition - CPU",
        sample(ready=None, started_at=NOW), "cpu", "unready"),
    ("count in a ready pod with fresh metrics during initialization period - CPU",
        sample(started_at=NOW - M, ready_since=NOW - 30 * S, metric_window=30 * S), "cpu", "ready"),
    ("ignore a ready pod without fresh metrics during initialization period - CPU",
        sample(started_at=NOW - M, ready_since=NOW - 30 * S, metric_window=M), "cpu", "unready"),
    ("ignore an unready pod during initialization period - CPU",
        sample(ready=False, started_at=NOW - 10 * M, ready_since=NOW - 9 * M - 54 * S),
        "cpu", "unready"),
    ("count in a ready pod without fresh metrics after initialization period - CPU",
        sample(started_at=NOW - 3 * M, ready_since=NOW - 3 * M, metric_at=NOW - 2 * M,
               metric_window=M), "cpu", "ready"),
    ("count in an unready pod that was ready after initialization period - CPU",
        sample(ready=False, started_at=NOW - 10 * M, ready_since=NOW - 9 * M), "cpu", "ready"),
    # upstream's name; its expectation counts the pod: it turned unready exactly the 10 s
    # readiness delay after starting, which is not "after" it.
    ("ignore pod that has never been ready after initialization period - CPU",
        sample(ready=False, started_at=NOW - 10 * M, ready_since=NOW - 9 * M - 50 * S),
        "cpu", "ready"),
    ("a missing pod", PodSample(value=None, started_at=NOW - 3 * M), "cpu", "missing"),
    ("pending pods are ignored", PodSample(value=None, phase="Pending"), "cpu", "unready"),
]
# fmt: on


@pytest.mark.parametrize(
    ("pod", "resource", "group"),
    [case[1:] for case in GROUP_PODS],
    ids=[case[0] for case in GROUP_PODS],
)
def test_pods_are_grouped_like_upstream_TestGroupPods(pod, resource, group):
    ready, unready, missing, _ = group_pods([pod], cpu=resource == "cpu", ctx=ctx(1))
    got = "ready" if ready else "unready" if unready else "missing" if missing else "ignored"
    assert got == group


def test_load_metric_is_ceil_load_over_capacity_times_utilization():
    metric = load_metric(1130, capacity_per_replica=125, target_utilization=0.8, unit="req/s")
    proposal = metric.propose(ctx(9))
    assert proposal.replicas == 12  # ceil(1130 / 100)
    assert proposal.reason == "external metric load: 1,130 req/s / 100 req/s per pod = 11.3 -> 12"


def test_load_within_tolerance_of_the_current_replicas_keeps_them():
    proposal = load_metric(1130, capacity_per_replica=100, target_utilization=1.0).propose(ctx(11))
    assert (proposal.replicas, proposal.rule) == (11, "within")  # 1130 / 1100 = 1.027
    assert "1,130 over 11 pods = 102.727 per pod, within tolerance" in proposal.reason


def test_per_direction_tolerances_are_asymmetric():
    metric = load_metric(1040, capacity_per_replica=100, target_utilization=1.0)
    tight_up = MetricContext(
        now=NOW, current_replicas=10, status_replicas=10, tolerances=Tolerances(0.5, 0.03)
    )
    assert metric.propose(tight_up).replicas == 11
    assert metric.propose(ctx(10)).replicas == 10


def test_float_noise_in_capacity_times_utilization_is_not_rounded_up():
    # 125 x 0.8 is 100.00000000000001 in floating point; the target must be exactly 100.
    proposal = load_metric(1000, capacity_per_replica=125, target_utilization=0.8).propose(ctx(7))
    assert (proposal.target, proposal.replicas) == (100, 10)


# fmt: off
@pytest.mark.parametrize(("make", "message"), [
    (lambda: load_metric(1, capacity_per_replica=0, target_utilization=0.8),
        "capacity_per_replica"),
    (lambda: load_metric(1, capacity_per_replica=10, target_utilization=1.5), "target_utilization"),
    (lambda: ExternalMetric(name="q", value=1.0), "exactly one of target_value"),
    (lambda: ExternalMetric(name="q", value=1.0, target_value=1, target_average_value=1),
        "exactly one"),
    (lambda: ExternalMetric(name="q", value=float("nan"), target_value=1), "finite or None"),
    (lambda: ObjectMetric(name="q", value=1, target_value=-2), "> 0"),
    (lambda: ResourceMetric(pods=(), target_utilization=80.5), "integer percentage"),
    (lambda: ResourceMetric(pods=()), "exactly one of target_utilization"),
])
# fmt: on
def test_bad_metric_settings_raise_a_config_error_that_names_the_fix(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
