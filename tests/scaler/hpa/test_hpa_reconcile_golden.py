"""Whole-sync golden cases ported from upstream ``horizontal_test.go`` (v1.33).

Each case runs one `Hpa.reconcile` with the pods, metrics and bounds of the named upstream test
and expects upstream's ``expectedDesiredReplicas``. Upstream's harness settings are mirrored:
CPU initialization period 2 min, initial readiness delay 10 s, metric samples from "now" with a
1 min window, "hot" pods started now and "cool" ones 3 min ago. Upstream's
``recommendations: []timestampedRecommendation{}`` (no history) is reproduced with one steady
sync 10 minutes earlier, outside every window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from forescale.scaler.hpa.behavior import HpaBehavior, ScalingPolicyRule, ScalingRules
from forescale.scaler.hpa.controller import Hpa, HpaMetric
from forescale.scaler.hpa.metrics import ExternalMetric, ObjectMetric
from forescale.scaler.hpa.pods import PodSample, PodsMetric, ResourceMetric

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOT, COOL = T0, T0 - timedelta(minutes=3)


def pods(
    levels: Sequence[int],
    *,
    count: int | None = None,
    requests: Sequence[float] | None = None,
    ready: Sequence[bool] | None = None,
    started: Sequence[datetime | None] | None = None,
    phase: Sequence[str] | None = None,
    deleting: Sequence[bool] | None = None,
) -> tuple[PodSample, ...]:
    """Upstream's fake pod lister and metrics client: ``levels`` are milli-units per pod."""
    n = count if count is not None else len(requests if requests is not None else levels)
    return tuple(
        PodSample(
            value=levels[i] / 1000 if i < len(levels) else None,
            request=requests[i] if requests is not None else 1.0,
            ready=ready[i] if ready else True,
            started_at=started[i] if started else None,
            ready_since=started[i] if started else None,
            phase=phase[i] if phase else "Running",
            deleting=deleting[i] if deleting else False,
            metric_at=T0,
            metric_window=timedelta(minutes=1),
        )
        for i in range(n)
    )


def cpu(target: int, levels: Sequence[int], **kw: object) -> ResourceMetric:
    return ResourceMetric(pods=pods(levels, **kw), target_utilization=target)


def qps(target: float, levels: Sequence[int], **kw: object) -> PodsMetric:
    return PodsMetric(name="qps", pods=pods(levels, **kw), target_average_value=target)


def broken() -> ExternalMetric:
    """A metric whose fetch failed (upstream: an invalid metric type or a failing client)."""
    return ExternalMetric(name="qps", value=None, target_value=1.0)


@dataclass(frozen=True)
class Case:
    low: int
    high: int
    current: int
    metrics: Callable[[], list[HpaMetric]]
    want: int
    history: bool = False  # False: upstream's empty recommendations; True: nil (fresh HPA)
    status: int | None = None
    behavior: HpaBehavior | None = None
    limited_by: str | None = None
    condition: str | None = None


def scale_rules(percent: int, period: int, window: int = 0) -> ScalingRules:
    policy = ScalingPolicyRule(type="Percent", value=percent, period=timedelta(seconds=period))
    return ScalingRules(policies=(policy,), stabilization_window=timedelta(seconds=window))


UP_700 = HpaBehavior(scale_up=scale_rules(700, 60))
CPU5 = [100, 300, 500, 250, 250]
# fmt: off
CASES: dict[str, Case] = {
    "TestScaleUp": Case(2, 6, 3, lambda: [cpu(30, [300, 500, 700])], 5),
    "TestScaleUpUnreadyLessScale":
        Case(2, 6, 3, lambda: [cpu(30, [300, 500, 700], ready=[False, True, True])], 4),
    "TestScaleUpHotCpuLessScale":
        Case(2, 6, 3, lambda: [cpu(30, [300, 500, 700], started=[HOT, COOL, COOL])], 4),
    "TestScaleUpUnreadyNoScale":
        Case(2, 6, 3, lambda: [cpu(30, [400, 500, 700], ready=[True, False, False])], 3),
    "TestScaleUpHotCpuNoScale": Case(2, 6, 3, lambda: [cpu(30, [400, 500, 700],
        ready=[True, False, False], started=[COOL, HOT, HOT])], 3),
    "TestScaleUpIgnoresFailedPods": Case(2, 6, 2, lambda: [cpu(30, [500, 700], requests=[1.0] * 4,
        ready=[True, True, False, False], phase=["Running"] * 2 + ["Failed"] * 2)], 4),
    "TestScaleUpIgnoresDeletionPods": Case(2, 6, 2, lambda: [cpu(30, [500, 700], requests=[1.0] * 4,
        ready=[True, True, False, False], deleting=[False, False, True, True])], 4),
    "TestScaleUpCM": Case(2, 6, 3, lambda: [qps(15, [20000, 10000, 30000])], 4),
    "TestScaleUpCMUnreadyAndHotCpuNoLessScale": Case(2, 6, 3, lambda: [qps(15,
        [50000, 10000, 30000], ready=[True, True, False], started=[COOL, COOL, HOT])], 6),
    "TestScaleUpCMUnreadyandCpuHot": Case(2, 6, 3, lambda: [qps(15, [50000, 15000, 30000],
        ready=[False, True, False], started=[HOT, COOL, HOT])], 6, limited_by="TooManyReplicas"),
    "TestScaleUpHotCpuNoScaleWouldScaleDown": Case(2, 6, 3, lambda: [qps(15, [50000, 15000, 30000],
        started=[HOT, COOL, HOT])], 6, limited_by="TooManyReplicas"),
    "TestScaleUpCMObject": Case(2, 6, 3, lambda: [ObjectMetric(name="qps", value=20,
        target_value=15, ready_pods=3)], 4),
    "TestScaleUpFromZeroCMObject": Case(0, 6, 0, lambda: [ObjectMetric(name="qps", value=20,
        target_value=15, ready_pods=0)], 2, history=True),
    "TestScaleUpFromZeroIgnoresToleranceCMObject": Case(0, 6, 0, lambda: [ObjectMetric(name="qps",
        value=1, target_value=1, ready_pods=0)], 1, history=True),
    "TestScaleUpPerPodCMObject": Case(2, 6, 3, lambda: [ObjectMetric(name="qps", value=40,
        target_average_value=10)], 4),
    "TestScaleUpCMExternal": Case(2, 6, 3, lambda: [ExternalMetric(name="qps", value=8.6,
        target_value=6.666, ready_pods=3)], 4),
    "TestScaleUpPerPodCMExternal": Case(2, 6, 3, lambda: [ExternalMetric(name="qps", value=8.6,
        target_average_value=2.222)], 4),
    "TestScaleDown": Case(2, 6, 5, lambda: [cpu(50, CPU5)], 3),
    "TestScaleDownWithScalingRules": Case(2, 6, 5, lambda: [cpu(50, CPU5)], 3,
        behavior=HpaBehavior(scale_up=scale_rules(100, 15, 30))),
    "TestScaleDownStabilizeInitialSize": Case(2, 6, 5, lambda: [cpu(50, CPU5)], 5, history=True),
    "TestScaleDownCM": Case(2, 6, 5, lambda: [qps(20, [12000] * 5)], 3),
    "TestScaleDownCMObject": Case(2, 6, 5, lambda: [ObjectMetric(name="qps", value=12,
        target_value=20, ready_pods=5)], 3),
    "TestScaleDownToZeroCMObject": Case(0, 6, 5, lambda: [ObjectMetric(name="qps", value=0,
        target_value=20, ready_pods=5)], 0),
    "TestScaleDownPerPodCMObject": Case(2, 6, 5, lambda: [ObjectMetric(name="qps", value=60,
        target_average_value=20)], 3),
    "TestScaleDownCMExternal": Case(2, 6, 5, lambda: [ExternalMetric(name="qps", value=8.6,
        target_value=14.4, ready_pods=5)], 3),
    "TestScaleDownToZeroCMExternal": Case(0, 6, 5, lambda: [ExternalMetric(name="qps", value=0,
        target_value=14.4, ready_pods=5)], 0),
    "TestScaleDownPerPodCMExternal": Case(2, 6, 5, lambda: [ExternalMetric(name="qps", value=8.6,
        target_average_value=3)], 3),
    "TestScaleDownIncludeUnreadyPods":
        Case(2, 6, 5, lambda: [cpu(50, CPU5, ready=[True] * 3 + [False] * 2)], 2),
    "TestScaleDownIgnoreHotCpuPods":
        Case(2, 6, 5, lambda: [cpu(50, CPU5, started=[COOL] * 3 + [HOT] * 2)], 2),
    "TestScaleDownIgnoresFailedPods": Case(2, 6, 5, lambda: [cpu(50, CPU5, requests=[1.0] * 7,
        ready=[True] * 5 + [False] * 2, phase=["Running"] * 5 + ["Failed"] * 2)], 3),
    "TestScaleDownIgnoresDeletionPods": Case(2, 6, 5, lambda: [cpu(50, CPU5, requests=[1.0] * 7,
        ready=[True] * 5 + [False] * 2, deleting=[False] * 5 + [True] * 2)], 3),
    "TestTolerance": Case(1, 5, 3, lambda: [cpu(100, [1010, 1030, 1020],
        requests=[0.9, 1.0, 1.1])], 3, history=True),
    "TestToleranceCM": Case(1, 5, 3, lambda: [qps(20, [20000, 20001, 21000])], 3, history=True),
    "TestToleranceCMObject": Case(1, 5, 3, lambda: [ObjectMetric(name="qps", value=20.05,
        target_value=20, ready_pods=3)], 3, history=True),
    "TestToleranceCMExternal": Case(2, 6, 4, lambda: [ExternalMetric(name="qps", value=8.6,
        target_value=8.666, ready_pods=4)], 4, history=True),
    "TestTolerancePerPodCMObject": Case(2, 6, 4, lambda: [ObjectMetric(name="qps", value=8.6,
        target_average_value=2.2)], 4, history=True),
    "TestTolerancePerPodCMExternal": Case(2, 6, 4, lambda: [ExternalMetric(name="qps", value=8.6,
        target_average_value=2.2)], 4, history=True),
    "TestMinReplicas": Case(2, 5, 3, lambda: [cpu(90, [10, 95, 10], requests=[0.9, 1.0, 1.1])], 2,
        limited_by="TooFewReplicas"),
    "TestZeroMinReplicasDesiredZero":
        Case(0, 5, 3, lambda: [cpu(90, [0, 0, 0], requests=[0.9, 1.0, 1.1])], 0),
    "TestMinReplicasDesiredZero": Case(2, 5, 3, lambda: [cpu(90, [0, 0, 0],
        requests=[0.9, 1.0, 1.1])], 2, limited_by="TooFewReplicas"),
    "TestZeroReplicas": Case(3, 5, 0, lambda: [cpu(90, [], count=0)], 0, history=True,
        condition="ScalingDisabled"),
    "TestTooFewReplicas": Case(3, 5, 2, lambda: [cpu(90, [], count=0)], 3, history=True,
        condition="BelowMinReplicas"),
    "TestTooManyReplicas": Case(3, 5, 10, lambda: [cpu(90, [], count=0)], 5, history=True,
        condition="AboveMaxReplicas"),
    "TestMaxReplicas": Case(2, 5, 3, lambda: [cpu(90, [8000, 9500, 1000],
        requests=[0.9, 1.0, 1.1])], 5, history=True, limited_by="TooManyReplicas"),
    "TestMissingMetrics": Case(2, 6, 4, lambda: [cpu(100, [400, 95], requests=[1.0] * 4)], 3),
    "TestEmptyMetrics": Case(2, 6, 4, lambda: [cpu(100, [], requests=[1.0] * 4)], 4, history=True,
        condition="InvalidMetrics"),
    "TestEventCreated": Case(1, 5, 1, lambda: [cpu(50, [200], requests=[0.2])], 2, history=True),
    "TestEventNotCreated":
        Case(1, 5, 2, lambda: [cpu(50, [200, 200], requests=[0.4, 0.4])], 2, history=True),
    "TestMissingReports": Case(1, 5, 4, lambda: [cpu(50, [200], requests=[0.2])], 2),
    "TestUpscaleCap": Case(1, 100, 3, lambda: [cpu(10, [100, 200, 300], requests=[0.1] * 3)], 24,
        history=True, behavior=UP_700, limited_by="ScaleUpLimit"),
    "TestUpscaleCapGreaterThanMaxReplicas": Case(1, 20, 3, lambda: [cpu(10, [100, 200, 300],
        requests=[0.1] * 3)], 20, history=True, behavior=UP_700, limited_by="TooManyReplicas"),
    "TestMoreReplicasThanSpecNoScale": Case(1, 8, 4, lambda: [cpu(50, [500] * 5,
        requests=[1.0] * 5)], 4, history=True, status=5),
    "TestScaleUpRCImmediately": Case(2, 6, 1, lambda: [cpu(90, [0] * 4, requests=[1.0] * 4)], 2,
        history=True, condition="BelowMinReplicas"),
    "TestScaleDownRCImmediately": Case(2, 5, 6, lambda: [cpu(50, [8000, 9500, 1000],
        requests=[0.9, 1.0, 1.1])], 5, history=True, condition="AboveMaxReplicas"),
    "TestScaleUpOneMetricInvalid":
        Case(2, 6, 3, lambda: [cpu(30, [300, 400, 500]), broken()], 4, history=True),
    "TestScaleUpFromZeroOneMetricInvalid":
        Case(0, 6, 0, lambda: [cpu(30, [300, 400, 500]), broken()], 4),
    "TestScaleUpBothMetricsEmpty":
        Case(2, 6, 3, lambda: [broken()], 3, history=True, condition="InvalidMetrics"),
    "TestNoScaleDownOneMetricInvalid":
        Case(2, 6, 5, lambda: [cpu(50, CPU5), broken()], 5, condition="InvalidMetrics"),
    "TestNoScaleDownOneMetricEmpty":
        Case(2, 6, 5, lambda: [cpu(50, CPU5), broken()], 5, condition="InvalidMetrics"),
}
# fmt: on


def upstream_hpa(behavior: HpaBehavior | None = None) -> Hpa:
    """An Hpa with the flags of upstream's test controller."""
    return Hpa(
        behavior=behavior,
        cpu_initialization_period=timedelta(minutes=2),
        initial_readiness_delay=timedelta(seconds=10),
    )


def steady(current: int) -> ExternalMetric:
    """A metric that asks for exactly ``current`` replicas."""
    return ExternalMetric(name="steady", value=float(current), target_average_value=1.0)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_reconcile_matches_upstream_controller_test(case: Case):
    hpa = upstream_hpa(case.behavior)
    if not case.history:
        hpa.reconcile(
            now=T0 - timedelta(minutes=10),
            current_replicas=case.current,
            min_replicas=case.low,
            max_replicas=case.high,
            metrics=[steady(case.current)],
        )
    decision = hpa.reconcile(
        now=T0,
        current_replicas=case.current,
        min_replicas=case.low,
        max_replicas=case.high,
        metrics=case.metrics(),
        status_replicas=case.status,
    )
    assert decision.replicas == case.want, decision.reason
    assert decision.limited_by == case.limited_by
    assert decision.condition == case.condition


def test_a_higher_recent_recommendation_holds_a_scale_down_TestStabilizeDownscale():
    hpa = upstream_hpa()
    for ago, asked in ((10, 10), (1, 4)):  # upstream's recommendations {10, -10m}, {4, -1m}
        hpa.reconcile(
            now=T0 - timedelta(minutes=ago),
            current_replicas=4,
            min_replicas=1,
            max_replicas=5,
            metrics=[steady(asked)],
        )
    decision = hpa.reconcile(
        now=T0,
        current_replicas=4,
        min_replicas=1,
        max_replicas=5,
        metrics=[cpu(100, [50, 50, 50], requests=[0.1] * 3)],
    )
    assert (decision.proposal, decision.replicas) == (2, 4)
    assert "scale-down stabilization" in decision.reason


@pytest.mark.parametrize(("margin", "scales"), [(0.01, True), (0.004, False)])
def test_tolerance_boundary_is_computed_like_upstream_TestComputedToleranceAlgImplementation(
    margin, scales
):
    # 10 pods using 150m each and requesting 300m (with jitter): 50 % utilisation.
    jitter = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0]
    requests = [(300 + j) / 1000 for j in jitter]
    target = abs(1 / (2.0 * (1 - 0.1))) + margin
    want = int(-(-(1500 / (3000 * target)) * 10 // 1)) if scales else 10
    hpa = upstream_hpa()
    hpa.reconcile(
        now=T0 - timedelta(minutes=10),
        current_replicas=10,
        min_replicas=0,
        max_replicas=1000,
        metrics=[steady(10)],
    )
    decision = hpa.reconcile(
        now=T0,
        current_replicas=10,
        min_replicas=0,
        max_replicas=1000,
        metrics=[cpu(int(target * 100), [150] * 10, requests=requests)],
    )
    assert decision.replicas == want == (9 if scales else 10)


def test_per_direction_tolerances_match_upstream_integration_TestHPAWithTolerance():
    # 5 % up / 50 % down tolerance, External AverageValue 100, 35 pods; the test controller's
    # downscale stabilization is not part of the test, so it is 0 here.
    up = ScalingRules(policies=ScalingRules.default_scale_up().policies, tolerance=0.05)
    down = ScalingRules(policies=ScalingRules.default_scale_down().policies, tolerance=0.5)
    hpa = Hpa(
        behavior=HpaBehavior(scale_up=up, scale_down=down), downscale_stabilization=timedelta(0)
    )
    replicas, seen = 35, []
    for step, value in enumerate([3500, 3700, 3800, 1000, 800]):
        decision = hpa.reconcile(
            now=T0 + timedelta(minutes=step),
            current_replicas=replicas,
            min_replicas=1,
            max_replicas=1000,
            metrics=[ExternalMetric(name="m", value=value, target_average_value=100)],
        )
        replicas = decision.replicas
        seen.append(replicas)
    assert seen == [35, 37, 37, 10, 10]
