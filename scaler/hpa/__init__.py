"""A faithful port of the Kubernetes HorizontalPodAutoscaler algorithm (autoscaling/v2).

The reactive half of Forescale, and the "HPA alone" every predictive decision is compared with:
`Hpa.reconcile` (controller.py) with its metric calculators (metrics.py, pods.py), behavior
(scale-up/down policies, stabilization windows, selectPolicy; behavior.py), rolling history
(history.py) and the decision record (decision.py). Checked against about 140 golden cases from
the upstream tests. It knows nothing of forecasts: the planner (`forescale.scaler.planning`) and
this port are independent (an import-linter contract), and meet only in the controller and the
simulator.
"""

from forescale.scaler.hpa.behavior import HpaBehavior
from forescale.scaler.hpa.controller import Hpa
from forescale.scaler.hpa.decision import HpaConfig, HpaDecision
from forescale.scaler.hpa.metrics import load_metric

__all__ = ["Hpa", "HpaBehavior", "HpaConfig", "HpaDecision", "load_metric"]
