"""A tuning as people read it: the status block, the API's frontier, the metric.

One JSON-able shape (camelCase, as in the CRD's status) so that ``kubectl get pa``, the API and the
chart page say the same thing about what was chosen, why, when, and what it is expected to save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forescale.scaler.tuning.objective import Objective
from forescale.scaler.tuning.tuner import Outcome, Setting, TuningResult

__all__ = ["tuning_detail", "tuning_status"]


def tuning_status(result: TuningResult, *, at: datetime, objective: Objective) -> dict[str, Any]:
    """The status block: the setting in use, why, when, and the expectation vs the HPA alone."""
    s = result.setting
    return {
        **_setting(s),
        "recommendedTargetUtilization": s.target_utilization,
        "reason": result.reason,
        "objective": objective.to_text(),
        "tunedAt": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "windowSteps": result.window_steps,
        "expectedReplicaHours": round(result.chosen.replica_hours, 3),
        "expectedUnservedPercent": round(result.chosen.unserved_pct, 4),
        "hpaReplicaHours": round(result.hpa.replica_hours, 3),
        "hpaUnservedPercent": round(result.hpa.unserved_pct, 4),
        "expectedSavings": round(result.expected_savings, 4),
        "equalCostRatio": None
        if result.equal_cost_ratio is None
        else round(float(result.equal_cost_ratio), 4),
    }


def tuning_detail(result: TuningResult, *, at: datetime, objective: Objective) -> dict[str, Any]:
    """The status block plus the HPA's frontier and every candidate (for a plot)."""
    return {
        **tuning_status(result, at=at, objective=objective),
        "frontier": [_point(o) for o in result.frontier],
        "candidates": [_point(o) for o in result.candidates],
    }


def _setting(s: Setting) -> dict[str, Any]:
    return {
        "setting": s.describe(),
        "predictive": s.predictive,
        "quantile": s.quantile if s.predictive else None,
        "leadOffsetSteps": s.lead_offset,
    }


def _point(o: Outcome) -> dict[str, Any]:
    s = o.setting
    return {
        **_setting(s),
        "targetUtilization": s.target_utilization,
        "replicaHours": round(o.replica_hours, 3),
        "unservedPercent": round(o.unserved_pct, 4),
    }
