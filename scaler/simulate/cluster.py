"""`SimulatedCluster`: an in-memory workload and its HPA, driven by a load trace in virtual time.

The honest twin of a real cluster for the demo and the controller tests: the controller writes the
HPA's ``minReplicas`` through a `MemoryActuator`; every 15 s of virtual time the HPA port reconciles
against the trace's load with that floor, exactly as in a replay; replicas become ready after the
startup delay and serve ``capacity`` each. ``served``/``unserved`` accumulate so the demo can end
with the same figures as ``forescale simulate``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from forescale.scaler.actuators.memory import MemoryActuator
from forescale.scaler.domain import TargetRef
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.hpa.controller import Hpa
from forescale.scaler.hpa.metrics import load_metric

__all__ = ["SimulatedCluster", "SimulatedWorkload"]

SYNC = timedelta(seconds=15)


@dataclass
class SimulatedWorkload:
    ref: TargetRef
    load: pd.Series
    capacity: float
    target_utilization: float
    startup: timedelta
    behavior: HpaBehavior = DEFAULT_BEHAVIOR
    """The HPA's ``spec.behavior`` (default: the autoscaling/v2 default)."""
    hpa: Hpa = field(init=False)
    requested: list[tuple[datetime, int]] = field(default_factory=list)
    """(time, requested replicas) after each sync, for scoring and plots."""
    _synced: datetime | None = None
    _recent: deque[tuple[datetime, int]] = field(default_factory=deque)

    def load_at(self, at: datetime) -> float | None:
        pos = self.load.index.searchsorted(pd.Timestamp(at), side="right") - 1
        if pos < 0:
            return None
        value = float(self.load.iloc[pos])
        return value if math.isfinite(value) else None

    def __post_init__(self) -> None:
        self.hpa = Hpa(behavior=self.behavior)


class SimulatedCluster:
    def __init__(self, actuator: MemoryActuator | None = None) -> None:
        self.actuator = actuator or MemoryActuator()
        self.workloads: dict[str, SimulatedWorkload] = {}

    def add(self, workload: SimulatedWorkload, *, min_replicas: int, max_replicas: int) -> None:
        self.workloads[str(workload.ref)] = workload
        self.actuator.add(workload.ref, min_replicas=min_replicas, max_replicas=max_replicas)

    def advance(self, until: datetime) -> None:
        """Run every workload's HPA in 15 s syncs up to ``until``."""
        for key, w in self.workloads.items():
            obj = self.actuator.objects[key]
            at = w._synced + SYNC if w._synced is not None else until
            while at <= until:
                metric = load_metric(
                    w.load_at(at),
                    capacity_per_replica=w.capacity,
                    target_utilization=w.target_utilization,
                )
                decision = w.hpa.reconcile(
                    now=at,
                    current_replicas=max(obj.current_replicas, 1),
                    min_replicas=obj.min_replicas,
                    max_replicas=obj.max_replicas,
                    metrics=(metric,),
                )
                obj.current_replicas = decision.replicas
                w.requested.append((at, decision.replicas))
                obj.ready_replicas = self._ready(w, at, decision.replicas)
                w._synced = at
                at += SYNC

    def _ready(self, w: SimulatedWorkload, at: datetime, now_requested: int) -> int:
        """ready = min(requested over [at - startup, at]): scale-downs act at once."""
        w._recent.append((at, now_requested))
        while w._recent and w._recent[0][0] < at - w.startup:
            w._recent.popleft()
        return min(n for _, n in w._recent)

    def requested_series(self, key: str, *, step: timedelta) -> pd.Series:
        """Requested replicas per trace step: the count held for most of each step.

        Each sync's count holds until the next sync (the last one for one sync period) and is
        counted in the step the sync fell in; a tie goes to the higher count. The same rule as
        the replay (`scaler.simulate.hpa_steps.most_held`), so the demo's figures and
        ``forescale simulate``'s agree. Steps without a sync repeat the previous count.
        """
        w = self.workloads[key]
        if not w.requested:
            return pd.Series(dtype=float)
        times = pd.DatetimeIndex([at for at, _ in w.requested])
        counts = np.asarray([n for _, n in w.requested], dtype=np.int64)
        gaps = (times[1:] - times[:-1]).total_seconds().to_numpy(dtype=float)
        held = np.append(gaps, SYNC.total_seconds())
        # Seconds held per (step, count): one column per distinct count, highest first, so that
        # idxmax (the first maximum) breaks a tie towards the higher count.
        distinct = np.unique(counts)[::-1]
        seconds = (
            pd.DataFrame({int(c): np.where(counts == c, held, 0.0) for c in distinct}, index=times)
            .resample(step)
            .sum()
        )
        synced = seconds.sum(axis=1) > 0
        most = seconds.idxmax(axis=1).astype(float).where(synced)
        return most.ffill()
