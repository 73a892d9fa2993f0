"""What one HPA sync decided, and why: `HpaDecision`, plus the `HpaConfig` it explains against.

The decision keeps numbers, not prose: `steps` and `reason` are built only when someone asks
("reactive says 9 because ..."), so a trace replay that never asks pays nothing for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from forescale.scaler.domain import PlanStep
from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.behavior import HpaBehavior, Limit, ScalingRules
from forescale.scaler.hpa.metrics import MetricFailure, MetricProposal, Tolerances
from forescale.scaler.units import format_duration

__all__ = ["Condition", "HpaConfig", "HpaDecision", "Stabilization"]

Condition = Literal["ScalingDisabled", "AboveMaxReplicas", "BelowMinReplicas", "InvalidMetrics"]
"""Why the metrics did not decide: upstream's guard branches and invalid-metric rule."""
Stabilization = Literal["ScaleUpStabilized", "ScaleDownStabilized"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HpaConfig:
    """One HPA's settings and the kube-controller-manager flags that shape it.

    ``behavior=None`` is an HPA without ``spec.behavior`` (what ``kubectl autoscale`` creates):
    upstream then takes its legacy path, growing to at most ``max(2 x current, 4)`` per sync and
    holding scale-downs for ``downscale_stabilization``. ``HpaBehavior.default()`` is the same
    HPA with the autoscaling/v2 default behavior written out (+4 pods or +100 % per 15 s).
    """

    behavior: HpaBehavior | None = None
    tolerance: float = 0.1
    downscale_stabilization: timedelta = timedelta(minutes=5)
    cpu_initialization_period: timedelta = timedelta(minutes=5)
    initial_readiness_delay: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if not 0 <= self.tolerance < float("inf"):
            raise ConfigError(f"tolerance must be a finite number >= 0, got {self.tolerance!r}")
        for what in (
            "downscale_stabilization",
            "cpu_initialization_period",
            "initial_readiness_delay",
        ):
            if getattr(self, what) < timedelta(0):
                raise ConfigError(f"{what} must not be negative")

    @property
    def scale_down_window(self) -> timedelta:
        rules = self.behavior.scale_down if self.behavior else None
        if rules is None or rules.stabilization_window is None:
            return self.downscale_stabilization
        return rules.stabilization_window

    @property
    def scale_up_window(self) -> timedelta:
        window = self.behavior.scale_up.stabilization_window if self.behavior else None
        return window or timedelta(0)

    @property
    def tolerances(self) -> Tolerances:
        if self.behavior is None:
            return Tolerances(self.tolerance, self.tolerance)
        down, up = self.behavior.scale_down.tolerance, self.behavior.scale_up.tolerance
        return Tolerances(
            self.tolerance if down is None else down, self.tolerance if up is None else up
        )


class HpaDecision(NamedTuple):
    """What one sync decided, and the numbers behind each step (see `steps` / `reason`).

    A NamedTuple (immutable, and cheap to build ~350,000 times per replay).
    """

    at: datetime
    replicas: int
    """The replica count the HPA sets (``current_replicas`` when it does not rescale)."""
    current_replicas: int
    min_replicas: int
    max_replicas: int
    config: HpaConfig
    condition: Condition | None = None
    metrics: tuple[MetricProposal | MetricFailure, ...] = ()
    proposal: int | None = None
    """The highest metric proposal (before stabilization and limits)."""
    stabilized: int | None = None
    stabilization: Stabilization | None = None
    limited_by: Limit | None = None

    def __repr__(self) -> str:
        return (
            f"HpaDecision(at={self.at.isoformat()}, {self.current_replicas} -> {self.replicas}, "
            f"proposal={self.proposal}, condition={self.condition}, "
            f"limited_by={self.limited_by})"
        )

    @property
    def scaled(self) -> bool:
        return self.replicas != self.current_replicas

    @property
    def reason(self) -> str:
        """One line: every step that shaped the number, in order."""
        return "; ".join(step.reason for step in self.steps)

    @property
    def steps(self) -> tuple[PlanStep, ...]:
        steps = [
            PlanStep(name="metric", replicas=_replicas(m), reason=m.reason) for m in self.metrics
        ]
        guard = self._guard_step()
        if guard is not None:
            return (*steps, guard)
        valid = sum(isinstance(m, MetricProposal) for m in self.metrics)
        if valid > 1:
            steps.append(
                PlanStep(
                    name="max",
                    replicas=self.proposal,
                    reason=f"highest metric proposal: {self.proposal}",
                )
            )
        if self.stabilization is not None or (
            self.stabilized is not None and self.stabilized != self.proposal
        ):
            steps.append(
                PlanStep(
                    name="stabilization",
                    replicas=self.stabilized,
                    reason=self._stabilization_text(),
                )
            )
        if self.limited_by is not None:
            steps.append(PlanStep(name="limit", replicas=self.replicas, reason=self._limit_text()))
        return tuple(steps)

    def _guard_step(self) -> PlanStep | None:
        cur, n = self.current_replicas, self.replicas
        text = {
            "ScalingDisabled": f"scaling disabled: the target has 0 replicas (minReplicas "
            f"{self.min_replicas}) -> keep 0",
            "AboveMaxReplicas": f"{cur} replicas are above maxReplicas {self.max_replicas} -> {n}",
            "BelowMinReplicas": f"{cur} replicas are below minReplicas {self.min_replicas} -> {n}",
            "InvalidMetrics": (
                f"no metric could be evaluated -> keep {cur}"
                if self.proposal is None
                else f"a metric is unavailable and the others ask for fewer ({self.proposal}): "
                f"no scale-down -> keep {cur}"
            ),
            None: None,
        }[self.condition]
        return None if text is None else PlanStep(name="guard", replicas=n, reason=text)

    def _stabilization_text(self) -> str:
        config, value = self.config, self.stabilized
        if self.stabilization == "ScaleUpStabilized":
            window = format_duration(config.scale_up_window)
            return f"scale-up stabilization (lowest recommendation of the last {window}) -> {value}"
        window = format_duration(config.scale_down_window)
        return f"scale-down stabilization (highest recommendation of the last {window}) -> {value}"

    def _limit_text(self) -> str:
        behavior, n = self.config.behavior, self.replicas
        if self.limited_by == "TooManyReplicas":
            return f"capped at maxReplicas {self.max_replicas}"
        if self.limited_by == "TooFewReplicas":
            return f"raised to minReplicas {self.min_replicas}"
        if behavior is None:  # legacy ScaleUpLimit
            return f"scale-up limit max(2 x {self.current_replicas}, 4) -> {n}"
        up = self.limited_by == "ScaleUpLimit"
        rules = behavior.scale_up if up else behavior.scale_down
        return f"scale-{'up' if up else 'down'} rate limit ({_describe(rules)}) -> {n}"


def _replicas(result: MetricProposal | MetricFailure) -> int | None:
    return result.replicas if isinstance(result, MetricProposal) else None


def _describe(rules: ScalingRules) -> str:
    policies = ", ".join(str(p) for p in rules.policies)
    return f"{policies}; select {rules.select_policy}"
