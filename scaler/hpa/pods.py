"""HPA replica calculators over per-pod samples: ``Resource`` and ``Pods`` metrics.

A port of ``GetResourceReplicas``, ``GetRawResourceReplicas``, ``calcPlainMetricReplicas`` and
``groupPods`` from ``replica_calculator.go``. The rules that make the HPA conservative live
here: pods without a sample count as exactly at target on a scale-down and as idle on a
scale-up, not-ready (and, for CPU, still-initialising) pods count as idle on a scale-up, and if
counting them would reverse the direction or land within tolerance, nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.metrics import (
    HpaMetricError,
    MetricContext,
    MetricProposal,
    Rule,
    Tolerances,
    ceil_int32,
    check_one_target,
    check_positive,
    go_div,
    milli,
)

__all__ = ["PodPhase", "PodSample", "PodsMetric", "ResourceMetric", "group_pods"]

PodPhase = Literal["Running", "Pending", "Failed", "Succeeded"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PodSample:
    """One pod as the HPA sees it: its metric sample (``None``: no sample) and its status.

    Readiness details only matter for CPU (``groupPods``): ``started_at=None`` means the pod
    started long before the CPU initialization period, ``ready_since=None`` that its Ready
    condition last changed when it started, ``metric_at=None`` that the sample is from now.
    ``ready=None``: the pod has no Ready condition yet.
    """

    value: float | None
    request: float | None = None
    phase: PodPhase = "Running"
    ready: bool | None = True
    deleting: bool = False
    started_at: datetime | None = None
    ready_since: datetime | None = None
    metric_at: datetime | None = None
    metric_window: timedelta = timedelta(0)


# -- groupPods and the per-pod calculators -------------------------------------------------------
def _cpu_unready(pod: PodSample, ctx: MetricContext) -> bool:
    if pod.ready is None:
        return True  # no Ready condition (upstream also needs a StartTime; see PodSample)
    if pod.started_at is None:  # started long ago; Ready last changed then unless told otherwise
        return pod.ready is False and pod.ready_since is None
    ready_since = pod.ready_since or pod.started_at
    if pod.started_at + ctx.cpu_initialization_period > ctx.now:
        # Still initialising: ignore unless ready and a full metric window since it became so.
        metric_at = pod.metric_at or ctx.now
        return pod.ready is False or metric_at < ready_since + pod.metric_window
    # Ignore a not-ready pod only if it has never been ready.
    return pod.ready is False and pod.started_at + ctx.initial_readiness_delay > ready_since


def group_pods(
    pods: Sequence[PodSample], *, cpu: bool, ctx: MetricContext
) -> tuple[int, list[int], list[int], dict[int, int]]:
    """groupPods: (ready count, unready indices, missing indices, usable metrics by index)."""
    ready, unready, missing, metrics = 0, [], [], {}
    for i, pod in enumerate(pods):
        if pod.deleting or pod.phase == "Failed":
            continue  # ignored
        if pod.phase == "Pending":
            unready.append(i)
            continue
        if pod.value is None:
            missing.append(i)
            continue
        if cpu and _cpu_unready(pod, ctx):
            unready.append(i)
            continue
        ready += 1
        metrics[i] = milli(pod.value)
    return ready, unready, missing, metrics


def _finish(
    *,
    ratio: float,
    new_ratio: float,
    n_metrics: int,
    current: int,
    tol: Tolerances,
) -> tuple[int, Rule]:
    """The end of GetResourceReplicas/calcPlainMetricReplicas once pods were re-counted."""
    if tol.within(new_ratio):
        return current, "within"
    if (ratio < 1.0 and new_ratio > 1.0) or (ratio > 1.0 and new_ratio < 1.0):
        return current, "flip"  # counting the other pods would reverse the direction
    replicas = ceil_int32(new_ratio * float(n_metrics))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current, "flip"  # the larger pod count alone would reverse the direction
    return replicas, "refill"


def _fill(
    metrics: dict[int, int],
    *,
    ratio: float,
    missing: list[int],
    unready: list[int],
    down_value: list[int],
) -> None:
    """Missing pods count as at target on scale-down and 0 on scale-up; unready pods as 0."""
    if missing and ratio < 1.0:
        for i in missing:
            metrics[i] = down_value[i]
    elif missing and ratio > 1.0:
        for i in missing:
            metrics[i] = 0
    if unready and ratio > 1.0:
        for i in unready:
            metrics[i] = 0


def _per_pod(
    *,
    pods: Sequence[PodSample],
    ctx: MetricContext,
    cpu: bool,
    measure: Callable[[dict[int, int]], tuple[float, int]],
    down_value: Callable[[int], int],
) -> tuple[int, float, Rule, int, int]:
    """The shared body of GetResourceReplicas and calcPlainMetricReplicas.

    ``measure(metrics)`` gives (usage ratio, displayed usage); ``down_value(i)`` what a missing
    pod counts as on scale-down. Returns (replicas, ratio, rule, basis, displayed usage).
    """
    ready, unready, missing, metrics = group_pods(pods, cpu=cpu, ctx=ctx)
    if not metrics:
        raise HpaMetricError("did not receive metrics for targeted pods (pods might be unready)")
    ratio, usage = measure(metrics)
    tol, current = ctx.tolerances, ctx.current_replicas
    if not (unready and ratio > 1.0) and not missing:
        if tol.within(ratio):
            return current, ratio, "within", ready, usage
        return ceil_int32(ratio * float(ready)), ratio, "ratio", ready, usage
    down = [down_value(i) for i in range(len(pods))] if missing and ratio < 1.0 else []
    _fill(metrics, ratio=ratio, missing=missing, unready=unready, down_value=down)
    new_ratio, _ = measure(metrics)
    replicas, rule = _finish(
        ratio=ratio, new_ratio=new_ratio, n_metrics=len(metrics), current=current, tol=tol
    )
    return replicas, new_ratio, rule, len(metrics), usage


def _utilization(metrics: dict[int, int], requests: list[int], target: int) -> tuple[float, int]:
    """GetResourceUtilizationRatio: integer percent of the summed requests, then the ratio."""
    used = sum(metrics.values())
    requested = sum(requests[i] for i in metrics)
    if requested == 0:
        raise HpaMetricError("no metrics returned matched known pods")
    util = go_div(used * 100, requested)
    return float(util) / float(target), util


def _plain(
    name: str, pods: Sequence[PodSample], target: int, ctx: MetricContext, *, cpu: bool, unit: str
) -> MetricProposal:
    """calcPlainMetricReplicas: a per-pod average against an average target (milli-units)."""

    def measure(metrics: dict[int, int]) -> tuple[float, int]:
        usage = go_div(sum(metrics.values()), len(metrics))  # GetMetricUsageRatio
        return float(usage) / float(target), usage

    replicas, ratio, rule, basis, usage = _per_pod(
        pods=pods, ctx=ctx, cpu=cpu, measure=measure, down_value=lambda _: target
    )
    return MetricProposal(
        metric=name, replicas=replicas, usage=usage / 1000, target=target / 1000,
        ratio=ratio, rule=rule, basis=basis, unit=unit,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceMetric:
    """A ``Resource`` metric (cpu, memory) over the pods' usage and requests.

    ``target_utilization`` is a percentage of the request (an integer, as in the API);
    ``target_average_value`` a raw per-pod average in the same unit as the samples.
    """

    pods: tuple[PodSample, ...]
    resource: str = "cpu"
    target_utilization: int | None = None
    target_average_value: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.pods, tuple):
            object.__setattr__(self, "pods", tuple(self.pods))
        if self.target_utilization is not None and (
            isinstance(self.target_utilization, bool)
            or not isinstance(self.target_utilization, int)
        ):
            raise ConfigError(
                f"target_utilization is an integer percentage (e.g. 80), "
                f"got {self.target_utilization!r}"
            )
        check_one_target(
            self.resource,
            self.target_utilization,
            self.target_average_value,
            value_field="target_utilization",
        )

    @property
    def name(self) -> str:
        return f"{self.resource} resource"

    def propose(self, ctx: MetricContext) -> MetricProposal:
        if not self.pods:
            raise HpaMetricError("no pods returned by selector while calculating replica count")
        cpu = self.resource == "cpu"
        if self.target_average_value is not None:  # GetRawResourceReplicas
            target = milli(self.target_average_value)
            return _plain(f"{self.resource} usage", self.pods, target, ctx, cpu=cpu, unit="")
        assert self.target_utilization is not None
        return self._utilization(self.target_utilization, ctx, cpu=cpu)

    def _utilization(self, target: int, ctx: MetricContext, *, cpu: bool) -> MetricProposal:
        """GetResourceReplicas."""
        if any(p.request is None for p in self.pods):
            raise HpaMetricError(f"missing request for {self.resource} on some pods")
        requests = [milli(p.request or 0.0) for p in self.pods]
        fallback = max(100, target)  # a missing pod is "at target" even for targets above 100 %
        replicas, ratio, rule, basis, util = _per_pod(
            pods=self.pods,
            ctx=ctx,
            cpu=cpu,
            measure=lambda metrics: _utilization(metrics, requests, target),
            down_value=lambda i: go_div(requests[i] * fallback, 100),
        )
        return MetricProposal(
            metric=f"{self.resource} utilization", replicas=replicas, usage=float(util),
            target=float(target), ratio=ratio, rule=rule, basis=basis, unit="%",
        )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class PodsMetric:
    """A ``Pods`` metric (a custom per-pod metric such as req/s) with an AverageValue target."""

    name: str
    pods: tuple[PodSample, ...]
    target_average_value: float
    unit: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.pods, tuple):
            object.__setattr__(self, "pods", tuple(self.pods))
        check_positive(f"metric {self.name!r} target_average_value", self.target_average_value)

    def propose(self, ctx: MetricContext) -> MetricProposal:
        if not self.pods:
            raise HpaMetricError("no pods returned by selector while calculating replica count")
        target = milli(self.target_average_value)
        return _plain(f"pods metric {self.name}", self.pods, target, ctx, cpu=False, unit=self.unit)
