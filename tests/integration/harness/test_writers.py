"""The harness's "no two writers" check sees AWS writes too, ordered against Lease changes.

The check is what makes each fault's "safe" verdict mean something, so it is tested on logs
built by hand: a write by the replica that holds the Lease passes, the same write a moment
after the Lease changed hands is reported, for the Kubernetes API and for AWS alike.
"""

from __future__ import annotations

from tests.integration.aws.proxy import ProxiedRequest
from tests.integration.harness.world import non_leader_writes
from tests.integration.kube.server import RecordedRequest

A, B = "127.0.0.1:1", "localhost:1"  # forescale-a and forescale-b, by the host each one uses
HPA = "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web"


def lease(holder: str, *, at: float, host: str) -> RecordedRequest:
    body = {"spec": {"holderIdentity": holder}}
    path = "/apis/coordination.k8s.io/v1/namespaces/forescale/leases/forescale-controller"
    return RecordedRequest("PUT", path, {}, "application/json", body, 200, host, at)


def kube_write(*, at: float, host: str, status: int = 200) -> RecordedRequest:
    return RecordedRequest("PATCH", HPA, {}, "application/merge-patch+json", {}, status, host, at)


def aws(operation: str, *, at: float, host: str) -> ProxiedRequest:
    return ProxiedRequest("autoscaling", operation, False, host, at)


def test_writes_by_the_lease_holder_pass() -> None:
    kube = [lease("forescale-a", at=1.0, host=A), kube_write(at=2.0, host=A)]
    writes = [aws("SetDesiredCapacity", at=3.0, host=A), aws("PutScheduledUpdateGroupAction",
                                                            at=3.5, host=A)]  # fmt: skip
    assert non_leader_writes(kube, writes) == []


def test_an_aws_write_after_the_lease_changed_hands_is_reported() -> None:
    kube = [lease("forescale-a", at=1.0, host=A), lease("forescale-b", at=5.0, host=B)]
    writes = [aws("UpdateAutoScalingGroup", at=4.0, host=A), aws("UpdateAutoScalingGroup",
                                                                at=6.0, host=A)]  # fmt: skip
    assert non_leader_writes(kube, writes) == [
        "forescale-a AWS UpdateAutoScalingGroup while 'forescale-b' led"
    ]


def test_aws_reads_and_failed_kube_writes_are_not_writes() -> None:
    kube = [lease("forescale-a", at=1.0, host=A), kube_write(at=2.0, host=B, status=409)]
    reads = [aws("DescribeAutoScalingGroups", at=2.0, host=B)]
    assert non_leader_writes(kube, reads) == []
    assert non_leader_writes(kube, [aws("DeleteScheduledAction", at=2.0, host=B)]) == [
        "forescale-b AWS DeleteScheduledAction while 'forescale-a' led"
    ]
