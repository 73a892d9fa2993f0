"""The faults the harness drives, each with the outcome that is safe for it.

A `TargetFault` breaks one target (its Prometheus query, its HPA's or its PredictiveAutoscaler's
requests to the API server): every one gets its own target, so all of them run at once in the
same two replicas. What is safe depends on what broke:

- ``fallback``: the target cannot be trusted (no fresh data, its object unreadable): within the
  failure threshold it is reactive, its floor is the HPA's own, and the reason shows in its
  status, in a WARNING-or-worse log line naming it and in ``forescale_mode``. Giving a floor
  back is a read-modify-write of the HPA, so while reading the HPA fails the floor cannot move:
  those outages end once the target is reactive, and the floor must be given back then;
- ``decides``: only publishing broke (the status write): the floor stays right and predictive,
  the failure is logged at WARNING;
- ``released``: the target was deleted: its floor is given back.

Process-wide faults (the targets file, the leader dying, a pause sent to the follower, SIGTERM
while Prometheus hangs) run one after the other in `tests.integration.harness.drive`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tests.integration.aws.proxy import Fault as AwsFault
from tests.integration.harness.world import NS, FaultWorld, query
from tests.integration.kube.resources import HPA, PREDICTIVE_AUTOSCALER
from tests.integration.prometheus.standin import BAD_REPLIES, Reply

__all__ = ["FILE_FAULTS", "TARGET_FAULTS", "TargetFault"]

Expect = Literal["fallback", "decides", "released"]


@dataclass(frozen=True, slots=True)
class TargetFault:
    name: str
    area: str
    expect: Expect
    inject: Callable[[FaultWorld, str], Any]
    """Break target ``name`` of the world; returns the fault to lift once it is reactive (an
    outage that ends), if any."""
    kind: Literal["hpa", "asg"] = "hpa"
    """An HPA with its PredictiveAutoscaler in the cluster, or an Auto Scaling group on moto
    named in the targets file."""


def _prometheus(reply: Callable[[dict[str, Any]], Reply]) -> Callable[[FaultWorld, str], Any]:
    return lambda world, name: world.prometheus.fault(query(name), reply)


def _hpa(verb: str, **fault: Any) -> Callable[[FaultWorld, str], Any]:
    return lambda world, name: world.kube.faults.add(
        verb=verb, path=f"/horizontalpodautoscalers/{name}$", times=None, **fault
    )


def _status_write(world: FaultWorld, name: str) -> None:
    world.kube.faults.add(path=f"/predictiveautoscalers/{name}/status$", verb="PATCH",
                          status=500, times=None)  # fmt: skip
    world.kube.faults.add(path=f"/predictiveautoscalers/{name}/status$", verb="PUT",
                          status=500, times=None)  # fmt: skip


def _delete_hpa(world: FaultWorld, name: str) -> None:
    world.kube.store.delete(HPA, NS, name)


def _delete_target(world: FaultWorld, name: str) -> None:
    world.kube.store.delete(PREDICTIVE_AUTOSCALER, NS, name)


def _release_fails_twice(world: FaultWorld, name: str) -> None:
    """Prometheus fails for this target, and the first two writes giving its floor back fail:
    the release is tried again each cycle until it lands."""
    world.kube.faults.add(verb="PATCH", path=f"/horizontalpodautoscalers/{name}$", status=500,
                          times=2)  # fmt: skip
    world.prometheus.fault(query(name), lambda real: Reply({"status": "error"}, status=503))


_HTML = b"<html><body><h1>Sign in</h1>an SSO proxy's login page</body></html>"
_PROMETHEUS_FAULTS: dict[str, Callable[[dict[str, Any]], Reply]] = {
    "Prometheus answers 503": lambda real: Reply(
        {"status": "error", "errorType": "unavailable", "error": "down"}, status=503
    ),
    "Prometheus answers 500": lambda real: Reply({"status": "error"}, status=500),
    "Prometheus answers 400 bad_data": lambda real: Reply(
        {"status": "error", "errorType": "bad_data", "error": "parse error"}, status=400
    ),
    "an HTML login page with 200": lambda real: Reply(_HTML),
    "truncated JSON": lambda real: Reply(b'{"status": "success", "data": {"resultTy'),
    "the reply hangs past the timeout": lambda real: Reply(real, delay=5.0),
    "the series vanishes (empty result)": lambda real: Reply(
        {"status": "success", "data": {"resultType": "matrix", "result": []}}
    ),
    **{f"bad values: {name}": reply for name, reply in BAD_REPLIES.items()},
}

TARGET_FAULTS: list[TargetFault] = [
    *(TargetFault(name, "Prometheus", "fallback", _prometheus(reply))
      for name, reply in _PROMETHEUS_FAULTS.items()),
    TargetFault("reading the HPA answers 500", "Kubernetes API", "fallback",
                _hpa("GET", status=500)),
    TargetFault("reading the HPA is forbidden (403, RBAC)", "Kubernetes API", "fallback",
                _hpa("GET", status=403)),
    TargetFault("reading the HPA is throttled (429)", "Kubernetes API", "fallback",
                _hpa("GET", status=429, retry_after=1)),
    TargetFault("reading the HPA outlasts the client timeout", "Kubernetes API", "fallback",
                _hpa("GET", delay=3.0)),
    TargetFault("the HPA is deleted under the target", "Kubernetes API", "fallback", _delete_hpa),
    TargetFault("writing the floor back fails twice", "Kubernetes API", "fallback",
                _release_fails_twice),
    TargetFault("status writes answer 500", "Kubernetes API", "decides", _status_write),
    TargetFault("the PredictiveAutoscaler is deleted", "Kubernetes API", "released",
                _delete_target),
]  # fmt: skip


def _aws(operation: str, code: str, status: int) -> Callable[[FaultWorld, str], Any]:
    def inject(world: FaultWorld, name: str) -> AwsFault:
        del name  # the proxy matches operations: the harness has one group
        assert world.aws is not None
        return world.aws.proxy.fail(AwsFault(code=code, status=status, times=10**6,
                                             operation=operation))  # fmt: skip

    return inject


TARGET_FAULTS.append(
    TargetFault("AWS throttles DescribeAutoScalingGroups", "AWS (moto)", "fallback",
                _aws("DescribeAutoScalingGroups", "Throttling", 400), kind="asg"),
)  # fmt: skip

FILE_FAULTS: dict[str, str | bytes] = {
    "targets file emptied": "",
    "targets file holds a list": "- a\n- b\n",
    "targets file holds a scalar": "42\n",
    "targets file: namespace: 7": "apiVersion: forescale.io/v1alpha1\nkind: PredictiveAutoscaler\n"
    "metadata: {name: x, namespace: 7}\n",
    "targets file: 5,000 nested [": "[" * 5000,
    "targets file is invalid YAML": "a: [b\n  c: }\n",
    "targets file is not UTF-8": b"\xff\xfe\x00garbage\x80",
}
"""Contents that must keep the last valid targets (floors unchanged) and say so at ERROR."""
