"""HPA replica calculators for ``Object`` and ``External`` metrics, and the shared value types.

A port of ``replica_calculator.go`` (the per-pod ``Resource``/``Pods`` calculators are in
``hpa_pods``). Each metric is an immutable value (what the metrics APIs returned plus the HPA's
target) whose ``propose(ctx)`` returns the replica count that metric asks for, or raises
`HpaMetricError` when the controller could not compute one (the metric is then invalid, see
``Hpa``).

Kubernetes computes in milli-units with integer arithmetic (``Quantity.MilliValue()`` rounds up,
averages and utilisation percentages are truncating ``int64`` divisions) and only then in float64.
We do the same, so a 102.9 % utilisation is 102 % here too and tolerance decisions agree at the
edges. Values are given in natural units (cores, req/s, bytes) and converted once.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Literal, NamedTuple, Protocol

from forescale.scaler.errors import ConfigError, MetricsError

__all__ = [
    "ExternalMetric",
    "HpaMetric",
    "HpaMetricError",
    "LoadMetric",
    "MetricContext",
    "MetricFailure",
    "MetricProposal",
    "ObjectMetric",
    "Tolerances",
    "load_metric",
]

_NUMBER = (int, float)
MAX_REPLICAS = 2**31 - 1  # replica counts are int32 in the API; upstream caps overflow here
Rule = Literal["within", "ratio", "total", "from_zero", "flip", "refill"]


class HpaMetricError(MetricsError):
    """The HPA could not compute a replica count from this metric (it is then "invalid")."""


@dataclass(frozen=True, slots=True)
class Tolerances:
    """No scaling while ``1 - scale_down <= usage ratio <= 1 + scale_up`` (Tolerances.isWithin)."""

    scale_down: float = 0.1
    scale_up: float = 0.1

    def within(self, ratio: float) -> bool:
        return (1.0 - self.scale_down) <= ratio <= (1.0 + self.scale_up)


# The per-sync records below are NamedTuples rather than frozen dataclasses: just as immutable,
# and ~2.5x cheaper to build, which matters at ~350,000 syncs per trace replay.
class MetricContext(NamedTuple):
    """What the controller knows when it evaluates a metric."""

    now: datetime
    current_replicas: int
    """``scale.spec.replicas``: the count the HPA last asked for."""
    status_replicas: int
    """``scale.status.replicas``: pods that exist (the per-pod average targets divide by it)."""
    tolerances: Tolerances = Tolerances()
    cpu_initialization_period: timedelta = timedelta(minutes=5)
    initial_readiness_delay: timedelta = timedelta(seconds=30)


class MetricProposal(NamedTuple):
    """One metric's answer, with the numbers needed to explain it (text built on demand)."""

    metric: str
    replicas: int
    usage: float
    """Current value: utilisation % (Resource), the per-pod average (Pods), or the metric's
    value (Object, External: a total when ``per_pod_target``)."""
    target: float
    ratio: float
    rule: Rule
    basis: int
    """Pods the ratio was applied to (ready pods, pods counted, or existing pods)."""
    unit: str = ""
    per_pod_target: bool = False
    """An Object/External AverageValue target: ``usage`` is a total, ``target`` per pod."""

    @property
    def reason(self) -> str:
        u = f" {self.unit}" if self.unit else ""
        cur, tgt = fmt_num(self.usage), fmt_num(self.target)
        head = f"{self.metric}: {cur}{u} vs target {tgt}{u}"
        if self.rule == "within" and self.per_pod_target and self.basis:
            per = fmt_num(self.usage / self.basis)
            return (
                f"{self.metric}: {cur}{u} over {self.basis} pods = {per}{u} per pod, within "
                f"tolerance of the {tgt}{u} target -> keep {self.replicas}"
            )
        if self.rule == "within":
            return f"{head} (ratio {self.ratio:.3f} within tolerance) -> keep {self.replicas}"
        if self.rule == "flip":
            return (
                f"{head}: counting missing/unready pods would reverse the direction "
                f"-> keep {self.replicas}"
            )
        if self.rule == "total":
            per = fmt_num(self.usage / self.target)
            return f"{self.metric}: {cur}{u} / {tgt}{u} per pod = {per} -> {self.replicas}"
        if self.rule == "from_zero":
            return f"{head}, scaling from zero: ceil({self.ratio:.3f}) -> {self.replicas}"
        what = "pods incl. missing/unready" if self.rule == "refill" else "ready pods"
        return (
            f"{head}: ratio {self.ratio:.3f} x {self.basis} {what} = "
            f"{fmt_num(self.ratio * self.basis)} -> {self.replicas}"
        )


class HpaMetric(Protocol):
    """A metric an `Hpa` can evaluate: `ResourceMetric`, `PodsMetric`, `ObjectMetric`,
    `ExternalMetric`, or what `load_metric` returns."""

    @property
    def name(self) -> str: ...

    def propose(self, ctx: MetricContext) -> MetricProposal: ...


class MetricFailure(NamedTuple):
    """A metric the controller could not evaluate this sync, and why."""

    metric: str
    error: str

    @property
    def reason(self) -> str:
        return f"{self.metric}: unavailable ({self.error})"


def milli(value: float) -> int:
    """Quantity.MilliValue(): milli-units rounded up, ignoring float noise (0.1 x 3 is 0.3)."""
    m = value * 1000.0
    r = round(m)
    if r == m or abs(m - r) <= 1e-6 * max(1.0, abs(m)):
        return r
    return math.ceil(m)


def go_div(a: int, b: int) -> int:
    """Go's int64 division, which truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def fmt_num(x: float) -> str:
    if math.isinf(x) or math.isnan(x):
        return str(x)
    if abs(x - round(x)) < 5e-4:
        return f"{round(x):,}"
    return f"{x:,.3f}".rstrip("0").rstrip(".")


def ceil_int32(x: float) -> int:
    return MAX_REPLICAS if x > MAX_REPLICAS else math.ceil(x)


def check_positive(what: str, value: float) -> None:
    if not (isinstance(value, _NUMBER) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{what} must be a finite number > 0, got {value!r}")


def check_one_target(
    name: str, value: float | None, average: float | None, *, value_field: str = "target_value"
) -> None:
    """An HPA metric target has exactly one of its kinds set, and it is positive."""
    target = value if average is None else average
    if target is None or (value is not None and average is not None):
        raise ConfigError(
            f"metric {name!r}: set exactly one of {value_field} and target_average_value"
        )
    check_positive(f"metric {name!r} target", target)


# -- Object and External: one value (or the sum of a few series) against a target ---------------
def _check_single(
    name: str, value: float | None, ready_pods: int | None, pods: int | None = None
) -> None:
    if value is not None and not (isinstance(value, _NUMBER) and math.isfinite(value)):
        raise ConfigError(f"metric {name!r} value must be finite or None (a gap), got {value!r}")
    if ready_pods is not None and ready_pods < 0:
        raise ConfigError(f"metric {name!r}: ready_pods must be >= 0, got {ready_pods}")
    if pods is not None and not 0 <= (ready_pods or 0) <= pods:
        raise ConfigError(
            f"metric {name!r}: pods must be >= ready_pods >= 0, got pods={pods} "
            f"ready_pods={ready_pods}"
        )


def _per_pod_average(
    label: str, usage: int, target: int, unit: str, ctx: MetricContext
) -> MetricProposal:
    """Get{External,Object}PerPodMetricReplicas: ``usage`` and ``target`` in milli-units; the
    ratio is per *existing* pod (status replicas), the answer ``ceil(usage / target)``."""
    basis = ctx.status_replicas
    if basis:
        ratio = float(usage) / (float(target) * float(basis))
    else:  # Go's float64 division by zero
        ratio = math.inf if usage > 0 else math.nan
    if ctx.tolerances.within(ratio):
        return MetricProposal(
            label, basis, usage / 1000, target / 1000, ratio, "within", basis, unit, True
        )
    replicas = ceil_int32(float(usage) / float(target))
    return MetricProposal(
        label, replicas, usage / 1000, target / 1000, ratio, "total", basis, unit, True
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _SingleValueMetric:
    name: str
    value: float | None
    target_value: float | None = None
    target_average_value: float | None = None
    ready_pods: int | None = None
    pods: int | None = None
    unit: str = ""
    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        check_one_target(self.name, self.target_value, self.target_average_value)
        _check_single(self.name, self.value, self.ready_pods, self.pods)

    def propose(self, ctx: MetricContext) -> MetricProposal:
        """GetObject/ExternalMetricReplicas (Value) or Get*PerPodMetricReplicas (AverageValue)."""
        if self.value is None:
            raise HpaMetricError("no value returned: a gap in the data")
        usage = milli(self.value)
        label = f"{self.kind} metric {self.name}"
        if self.target_average_value is not None:
            return _per_pod_average(label, usage, milli(self.target_average_value), self.unit, ctx)
        assert self.target_value is not None  # __post_init__: exactly one target is set
        target = milli(self.target_value)  # getUsageRatioReplicaCount
        ratio = float(usage) / float(target)
        current = ctx.current_replicas
        rule: Rule
        if current == 0:  # scaling from/to zero ignores tolerance and pod readiness
            replicas, rule, basis = ceil_int32(ratio), "from_zero", 0
        elif ctx.tolerances.within(ratio):
            replicas, rule, basis = current, "within", current
        elif self.pods == 0:  # getReadyPodsCount: an error, so the metric is invalid, not 0
            raise HpaMetricError("no pods returned by selector while calculating replica count")
        else:
            basis = current if self.ready_pods is None else self.ready_pods
            replicas, rule = ceil_int32(ratio * float(basis)), "ratio"
        return MetricProposal(
            label, replicas, usage / 1000, target / 1000, ratio, rule, basis, self.unit
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectMetric(_SingleValueMetric):
    """An ``Object`` metric: one value describing another object (an Ingress' req/s, say).

    ``ready_pods`` (Value targets only): Running and Ready pods; ``None`` = all current replicas.
    ``pods`` (Value targets only): pods the HPA's selector matches, ready or not; ``None`` = some.
    With none (``pods=0``) upstream cannot count ready pods and the metric is invalid, so the HPA
    does not scale on it; pods that exist but are not ready (``ready_pods=0``) propose 0.
    ``value=None`` means the metric could not be fetched.
    """

    kind: ClassVar[str] = "object"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalMetric(_SingleValueMetric):
    """An ``External`` metric: a value from outside the cluster (a queue length, total req/s).

    ``value`` is the sum of the matching series; ``None`` means it could not be fetched (a gap).
    ``ready_pods`` and ``pods`` as for `ObjectMetric`.
    """

    kind: ClassVar[str] = "external"


class LoadMetric(NamedTuple):
    """What `load_metric` returns: an External metric with an AverageValue target, in the shape
    a trace replay can afford to build every sync (validated by `load_metric`)."""

    name: str
    value: float | None
    target_milli: int
    unit: str

    def propose(self, ctx: MetricContext) -> MetricProposal:
        if self.value is None:
            raise HpaMetricError("no value returned: a gap in the data")
        label = f"external metric {self.name}"
        return _per_pod_average(label, milli(self.value), self.target_milli, self.unit, ctx)


@functools.lru_cache(maxsize=1024)
def _per_replica_target(capacity_per_replica: float, target_utilization: float) -> int:
    check_positive("capacity_per_replica", capacity_per_replica)
    if not 0 < target_utilization <= 1:
        raise ConfigError(f"target_utilization must be in (0, 1], got {target_utilization!r}")
    return milli(capacity_per_replica * target_utilization)


def load_metric(
    load: float | None,
    *,
    capacity_per_replica: float,
    target_utilization: float,
    name: str = "load",
    unit: str = "",
) -> LoadMetric:
    """The common Forescale case: total load ``L`` against ``C x u`` per replica.

    An External metric with an AverageValue target, so ``desired = ceil(L / (C x u))`` unless
    ``L / (C x u x replicas)`` is within tolerance. ``load=None`` is a gap (no data).
    """
    target = _per_replica_target(capacity_per_replica, target_utilization)
    _check_single(name, load, None)
    return LoadMetric(name, load, target, unit)
