"""The reactive shadow: what the target's own HPA alone would do now.

Every cycle the HPA port reconciles once beside the real HPA, with the load Forescale reads and
the user's floor, so the policy can compare its floor with the HPA alone and fall back to it. It
must be the user's HPA, not a default one: an HPA that scales down 10 % a minute, or waits ten
minutes before any scale-down, recommends different counts than the autoscaling/v2 defaults. So
the shadow follows the object's ``spec.behavior`` as the actuator last read it (`Capacity`), and
the tuner replays the same behavior (`behavior`).

An HPA without ``spec.behavior`` is modelled by the autoscaling/v2 default behavior written out
(upstream's legacy path differs only below four replicas on a scale-up and by one sample at the
window's edge), as are targets without an HPA (Auto Scaling groups).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from forescale.scaler.domain import Capacity
from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.hpa.controller import Hpa
from forescale.scaler.hpa.metrics import load_metric
from forescale.scaler.hpa.spec import parse_behavior

__all__ = ["ReactiveShadow"]

log = logging.getLogger(__name__)


class ReactiveShadow:
    """The HPA port for one target, with the behavior of the target's HPA object."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._raw: Mapping[str, Any] | None = None
        self.behavior: HpaBehavior = DEFAULT_BEHAVIOR
        """The behavior in use (what the tuner's replays must use too)."""
        self._hpa = Hpa(behavior=self.behavior)

    def follow(self, raw: Mapping[str, Any] | None) -> HpaBehavior:
        """Use the HPA's ``spec.behavior`` as read now (None: none set, or no HPA).

        A changed behavior starts the shadow afresh (its windows are the behavior's), as a
        restarted HPA controller would; one Kubernetes would have refused is logged and the
        default kept, never a failed cycle.
        """
        if raw == self._raw:
            return self.behavior
        self._raw = raw
        behavior = DEFAULT_BEHAVIOR
        if raw is not None:
            try:
                behavior = parse_behavior(raw, where="spec.behavior")
            except ConfigError as exc:
                log.warning("%s: the HPA's behavior is not understood (%s): the reactive "
                            "shadow assumes the default behavior", self._name, exc)  # fmt: skip
        if behavior != self.behavior:
            log.info("%s: the reactive shadow follows the HPA's behavior from now", self._name)
            self.behavior, self._hpa = behavior, Hpa(behavior=behavior)
        return self.behavior

    def recommend(
        self,
        *,
        now: datetime,
        capacity: Capacity,
        load: float | None,
        capacity_per_replica: float,
        target_utilization: float,
    ) -> tuple[int, str]:
        """What the HPA alone would set now at ``target_utilization`` (the HPA's target in
        force), and why (one sync of the port)."""
        metric = load_metric(
            load, capacity_per_replica=capacity_per_replica, target_utilization=target_utilization
        )
        if self._hpa.is_before_last_sync(now):  # the wall clock was set back
            log.warning(
                "%s: the clock went back to %s: the reactive shadow starts its stabilization "
                "window afresh", self._name, now.isoformat(),
            )  # fmt: skip
            self._hpa = Hpa(behavior=self.behavior)
        low = max(0, min(capacity.baseline_min_replicas, capacity.max_replicas))
        current = max(capacity.current_replicas, low, 1)
        decision = self._hpa.reconcile(
            now=now,
            current_replicas=current,
            min_replicas=low,
            max_replicas=max(capacity.max_replicas, low, 1),
            metrics=(metric,),
        )
        return decision.replicas, f"reactive says {decision.replicas} ({decision.reason})"
