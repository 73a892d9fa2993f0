"""Kubernetes adapters: the only package that imports ``kubernetes``.

- `client`: `build_api_client`, `KubeApi` (dicts in and out, a timeout on every call);
- `hpa`: `HpaActuator`, the `Actuator` that raises an HPA's ``minReplicas``;
- `leader`: `LeaderElector` over a coordination.k8s.io/v1 Lease;
- `shards`: `ShardLeases`, the targets split over replicas, one Lease per shard;
- `targets`: `KubeTargetSource`, PredictiveAutoscaler objects as `TargetSpec`s, and their status;
- `events`: `EventRecorder`; `retry`: `RetryPolicy`;
- ``crd.yaml`` (package data): the PredictiveAutoscaler CustomResourceDefinition, see `crd_path`.
"""

from importlib import resources
from importlib.abc import Traversable

from forescale.scaler.kube.client import KubeApi, KubeError, RequestRejected, build_api_client
from forescale.scaler.kube.events import EventRecorder
from forescale.scaler.kube.hpa import APPLIED_ANNOTATION, BASELINE_ANNOTATION, HpaActuator
from forescale.scaler.kube.leader import LeaderElector, LeaseConfig
from forescale.scaler.kube.retry import RetryPolicy
from forescale.scaler.kube.shards import ShardLeases, shard_of
from forescale.scaler.kube.targets import (
    KubeTargetSource,
    TargetsUnavailable,
)

__all__ = [
    "APPLIED_ANNOTATION",
    "BASELINE_ANNOTATION",
    "EventRecorder",
    "HpaActuator",
    "KubeApi",
    "KubeError",
    "KubeTargetSource",
    "LeaderElector",
    "LeaseConfig",
    "RequestRejected",
    "RetryPolicy",
    "ShardLeases",
    "TargetsUnavailable",
    "build_api_client",
    "crd_path",
    "shard_of",
]


def crd_path() -> Traversable:
    """The CRD manifest shipped inside the package (``kubectl apply -f`` it, or read it)."""
    return resources.files(__name__).joinpath("crd.yaml")
