"""The HPA port over a trace: 15-s syncs inside each step, and the count that represents the step.

A trace holds one value per step (1 minute, 5 minutes, an hour); the real HPA syncs every 15 s
and, with the metric constant over the step, changes its count inside it: at once on a scale-up
(rate limits permitting), but on a scale-down only once its stabilisation window (300 s unless
the HPA's ``spec.behavior`` sets another) has forgotten the higher recommendations. On a
5-minute step the default HPA that saw a drop at the step's start holds the higher count until
285 s into the step, 95 % of it. So the count that represents
a step, for cost and for what is ready (``../shared/docs/evaluation.md``), is the one the HPA
held for **most** of the step, not the one after its last sync: a scale-down shows from the next
step, a scale-up in the same step, and on an hourly step a drop at its start (held 285 s of
3,600) already shows. The simulation itself continues from the count after the last sync.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta

import numpy as np
import pandas as pd

from forescale.models.validation import infer_step
from forescale.scaler.domain import ScalingPolicy
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.hpa.controller import Hpa
from forescale.scaler.hpa.metrics import load_metric

__all__ = ["HPA_SYNC", "HpaRunner", "most_held", "replay_reactive"]

HPA_SYNC = timedelta(seconds=15)
"""Kubernetes' ``--horizontal-pod-autoscaler-sync-period`` default."""
_SYNC_S = HPA_SYNC.total_seconds()


def most_held(spans: Iterable[tuple[int, float]]) -> int:
    """The count held longest over ``(count, seconds held)`` spans; a tie goes to the higher.

    Higher on a tie keeps both rules of the evaluation: a scale-down exactly halfway through a
    step shows from the next step, a scale-up exactly halfway shows in the same step.
    """
    totals: dict[int, float] = {}
    for count, seconds in spans:
        totals[count] = totals.get(count, 0.0) + seconds
    if not totals:
        raise ValueError("most_held needs at least one span")
    return max(totals, key=lambda count: (totals[count], count))


def replay_reactive(
    load: np.ndarray,
    index: pd.DatetimeIndex,
    policy: ScalingPolicy,
    behavior: HpaBehavior = DEFAULT_BEHAVIOR,
) -> np.ndarray:
    """The HPA port alone, with ``behavior`` (the HPA's ``spec.behavior``; default: the
    autoscaling/v2 default): per step, the count held longest."""
    out = np.empty(len(load), dtype=np.int64)
    runner = HpaRunner(policy, index, behavior=behavior)
    for t in range(len(load)):
        out[t] = runner.step(t, load[t], floor=None)
    return out


class HpaRunner:
    """One simulated HPA: ``syncs`` reconciles per trace step with that step's load.

    `step` returns the count held for most of the step; ``current`` is the count after the
    step's last sync, from which the next step continues. ``skip_fixed_points=False`` runs every
    sync even where `Hpa.hold` proves the rest of the step constant (the tests compare both).
    ``behavior`` is the simulated HPA's ``spec.behavior`` (the user's, so "the HPA alone" is
    theirs, not a default one).
    """

    def __init__(
        self,
        policy: ScalingPolicy,
        index: pd.DatetimeIndex,
        *,
        behavior: HpaBehavior = DEFAULT_BEHAVIOR,
        skip_fixed_points: bool = True,
    ) -> None:
        self.hpa = Hpa(behavior=behavior)
        self.policy = policy
        self.times = index.to_pydatetime()
        step = infer_step(index) if len(index) > 1 else pd.Timedelta(minutes=1)
        self.step_seconds = float(step.total_seconds())
        self.syncs = max(1, int(self.step_seconds // _SYNC_S))
        self.skip_fixed_points = skip_fixed_points
        self.current = max(1, policy.min_replicas)
        self.last_proposal: int | None = None

    def step(self, t: int, load: float, *, floor: int | None) -> int:
        p = self.policy
        value = None if not math.isfinite(load) else float(load)
        metric = load_metric(
            value,
            capacity_per_replica=p.capacity_per_replica,
            target_utilization=p.target_utilization,
        )
        low = min(p.max_replicas, max(p.min_replicas, floor or 0, 1))
        start, sync = self.times[t], HPA_SYNC
        last = self.syncs - 1
        # (count, seconds into the step since it holds), one entry per change within the step.
        changes: list[tuple[int, float]] = []
        for k in range(self.syncs):
            decision = self.hpa.reconcile(
                now=start + k * sync, current_replicas=self.current, min_replicas=low,
                max_replicas=p.max_replicas, metrics=(metric,),
            )  # fmt: skip
            self.current = decision.replicas
            if decision.proposal is not None:
                self.last_proposal = decision.proposal
            if not changes or changes[-1][0] != self.current:
                changes.append((self.current, k * _SYNC_S))
            # Same load for the rest of the step: skip the remaining syncs when that is exact.
            # The count is then constant to the step's end, which the spans below account for.
            if (
                self.skip_fixed_points
                and k < last
                and self.hpa.hold(decision, until=start + last * sync)
            ):
                break
        if len(changes) == 1:
            return self.current
        ends = [since for _, since in changes[1:]] + [self.step_seconds]
        return most_held(
            (count, end - since) for (count, since), end in zip(changes, ends, strict=True)
        )
