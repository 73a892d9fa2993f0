"""The chart's RBAC is exactly what the code asks the API server for (issue 17 item 10).

The controller (leader election, the targets, an invalid spec, a pause, floors raised, an
unclaimed floor swept) and ``forescale train``'s read of the targets run against the Kubernetes
test server, which records every request. Each request, as the (API group, resource, verb) RBAC
would check, must be granted by the rendered chart to that component's ServiceAccount (else a
403 in a real cluster), and every grant must have been used by some request (else it is a
privilege nobody needs: ``watch`` and core ``events`` were such, and the CronJob ran with the
controller's right to patch every HPA in the cluster).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ForescaleSettings
from forescale.scaler.wiring import target_provider
from tests.helm.chart import Doc, of_kind, render
from tests.integration.controller.cluster import KubeController, seed_shop
from tests.integration.kube.objects import hpa_manifest, pa_manifest, seed
from tests.integration.kube.resources import HPA
from tests.integration.kube.server import KubeApiServer, RecordedRequest

pytestmark = [pytest.mark.helm, pytest.mark.kube]

Grant = tuple[str, str, str]  # (apiGroup, resource[/subresource], verb)
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def asked(requests: Iterable[RecordedRequest]) -> set[Grant]:
    """What RBAC checks for each request: a GET of a collection is ``list``, of one ``get``."""
    out: set[Grant] = set()
    for request in requests:
        parts = urlsplit(request.path).path.strip("/").split("/")
        if parts[0] == "version":
            continue  # discovery: allowed to every authenticated user
        group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
        if rest[:1] == ["namespaces"]:
            rest = rest[2:]
        resource = rest[0] + (f"/{rest[2]}" if len(rest) > 2 else "")
        verb = _VERBS.get(request.verb) or ("get" if len(rest) > 1 else "list")
        out.add((group, resource, verb))
    return out


def granted(docs: tuple[Doc, ...], account: str) -> set[Grant]:
    """Every (group, resource, verb) the rendered roles bound to ``account`` allow."""
    bound = {
        (b["roleRef"]["kind"], b["roleRef"]["name"])
        for b in of_kind(docs, "ClusterRoleBinding") + of_kind(docs, "RoleBinding")
        if any(s["name"] == account for s in b["subjects"])
    }
    out: set[Grant] = set()
    for role in of_kind(docs, "ClusterRole") + of_kind(docs, "Role"):
        if (role["kind"], role["metadata"]["name"]) in bound:
            for rule in role["rules"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        out |= {(group, resource, verb) for verb in rule["verbs"]}
    return out


def test_the_controllers_grants_are_exactly_the_requests_it_makes(kube: KubeApiServer) -> None:
    seed_shop(kube)
    orphan = hpa_manifest("old", min_replicas=9, annotations={
        "forescale.io/baseline-min-replicas": "2"})  # fmt: skip
    seed(kube, orphan)  # a floor whose PredictiveAutoscaler was deleted: the sweep restores it
    replica = KubeController(kube.url, VirtualClock(datetime(2026, 11, 27, 8, tzinfo=UTC)),
                             leader_election=True)  # fmt: skip
    assert replica.elector is not None
    assert replica.elector.try_acquire_or_renew()  # creates the Lease
    replica.run_once()  # floors raised, the unclaimed one restored
    assert replica.elector.try_acquire_or_renew()  # reads and renews it
    seed(kube, pa_manifest("search", interval="1m", step="5m"))  # invalid: status and Event
    replica.run_once()
    replica.view.set_paused("shop/web", True, by="operator token #1")
    replica.close()

    docs = render(("values-prod.yaml",))
    needed = asked(kube.requests)
    failed = [r for r in kube.requests if r.status >= 400 and r.status != 404]
    assert failed == []  # (the first read of the Lease is a 404: then it is created)
    allowed = granted(docs, "forescale")
    assert kube.store.get(HPA, "shop", "old")["spec"]["minReplicas"] == 2  # (the sweep ran)
    assert needed - allowed == set()  # nothing the controller does is refused
    assert allowed - needed == set()  # nothing is granted that it never does


def test_the_training_job_may_only_list_the_targets_and_does(
    kube: KubeApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_shop(kube)
    seed(kube, pa_manifest("search", interval="1m", step="5m"))  # the controller reports it
    for name in [n for n in os.environ if n.startswith("FORESCALE_")]:
        monkeypatch.delenv(name)
    settings = ForescaleSettings.model_validate({"kubernetes": {"enabled": True, "host": kube.url}})
    clock = VirtualClock(datetime(2026, 11, 27, tzinfo=UTC))

    update = target_provider(settings, clock=clock).poll()

    assert {str(t.name) for t in update.targets} == {"shop/web", "shop/api"}
    docs = render(("values-prod.yaml",))
    (cronjob,) = of_kind(docs, "CronJob")
    account = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"]
    assert account == "forescale-train"
    assert (
        asked(kube.requests)
        == granted(docs, account)
        == {("forescale.io", "predictiveautoscalers", "list")}
    )
    assert granted(docs, "forescale") != granted(docs, account)  # not the controller's rights
