"""Pause and resume are durable and cluster-wide (issue 17 item 3).

Two replicas share the Kubernetes test API server (and, for targets-file targets, one SQLite
store). A pause sent over the API to the *follower* must stop the *leader* from scaling, and a
restarted controller must keep the pause from its first cycle. Before the fix a pause lived in
one process's memory: the follower answered 200 ``paused: true`` while the leader kept web at
13, and a restart raised web from 2 to 13 on its first cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.pauses import PAUSED, PAUSED_BY, StoredPauses
from forescale.scaler.controller.targets import FileTargets
from forescale.scaler.metrics.memory import FrameSource
from forescale.scaler.store import MemoryRecordStore, SqlRecordStore
from forescale.service.app import create_app
from tests.integration.controller.cluster import (
    BASELINES,
    FLOORS,
    LOADS,
    STEP,
    KubeController,
    elect,
    min_replicas,
    pa,
    seed_shop,
)
from tests.integration.kube.objects import hpa_manifest, seed
from tests.integration.kube.resources import PREDICTIVE_AUTOSCALER
from tests.integration.kube.server import KubeApiServer

pytestmark = pytest.mark.kube

OPERATOR = "operator-token-0123456789abcdef"
AS_OPERATOR = {"Authorization": f"Bearer {OPERATOR}"}


def api(replica: KubeController) -> TestClient:
    """The replica's own API, as ``forescale run`` serves it."""
    settings = ApiSettings(operator_tokens=[OPERATOR])  # type: ignore[list-item]
    app = create_app(replica.view, MemoryRecordStore(), settings=settings, clock=replica.clock)
    return TestClient(app)


def tick(clock: VirtualClock, *replicas: KubeController) -> None:
    """One loop interval later (targets decide every 5 minutes), each replica's cycle; the
    electors renewed meanwhile, as their own threads do every 2 s."""
    clock.advance(STEP)
    for replica in replicas:
        if replica.elector is not None:
            replica.elector.try_acquire_or_renew()
        replica.run_once()


def pause_on(replica: KubeController, action: str = "pause") -> dict[str, Any]:
    """``POST .../web/pause`` (or ``resume``) to ``replica``'s API; the answer must be 200."""
    with api(replica) as client:
        answer = client.post(f"/v1/targets/shop/web/{action}", headers=AS_OPERATOR)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["paused"] is (action == "pause")
    return body


def annotations(kube: KubeApiServer, name: str) -> dict[str, str]:
    obj = kube.store.get(PREDICTIVE_AUTOSCALER, "shop", name)
    return dict(obj["metadata"].get("annotations") or {})


def test_a_pause_sent_to_the_follower_is_an_annotation_the_leader_honours(
    kube: KubeApiServer, pair: tuple[KubeController, KubeController], clock: VirtualClock
) -> None:
    a, b = pair
    elect(a, b)
    a.run_once()
    b.run_once()
    assert min_replicas(kube, "web") == FLOORS["web"]

    pause_on(b)
    assert annotations(kube, "web") == {PAUSED: "true", PAUSED_BY: "operator token #1"}

    tick(clock, a)
    assert min_replicas(kube, "web") == BASELINES["web"]  # the leader gave the floor back
    assert min_replicas(kube, "api") == FLOORS["api"]  # and paused nothing else
    assert a.view.target("shop/web").paused

    pause_on(b, "resume")
    assert PAUSED not in annotations(kube, "web")
    tick(clock, a)
    assert min_replicas(kube, "web") == FLOORS["web"] and not a.view.target("shop/web").paused


def test_a_restarted_controller_keeps_the_pause_from_its_first_cycle(
    kube: KubeApiServer, clock: VirtualClock, source: FrameSource
) -> None:
    seed_shop(kube)
    first = KubeController(kube.url, clock, source=source)
    first.run_once()
    first.view.set_paused("shop/web", True, by="operator token #1")
    tick(clock, first)
    assert min_replicas(kube, "web") == BASELINES["web"]
    first.close()

    clock.advance(STEP)
    restarted = KubeController(kube.url, clock, source=source)  # nothing in memory
    report = restarted.run_once()

    assert min_replicas(kube, "web") == BASELINES["web"]  # not 2 -> 13
    assert min_replicas(kube, "api") == FLOORS["api"]
    assert report.outcomes["shop/web"].dry_run and restarted.view.target("shop/web").paused
    restarted.close()


def test_kubectl_annotate_pauses_an_object_like_the_api_does(
    kube: KubeApiServer, clock: VirtualClock, source: FrameSource
) -> None:
    seed(kube, hpa_manifest("web", "shop", min_replicas=2, max_replicas=20, current_replicas=2))
    manifest = pa("web")
    manifest["metadata"]["annotations"] = {PAUSED: "true"}
    seed(kube, manifest)
    controller = KubeController(kube.url, clock, source=source)

    controller.run_once()

    assert min_replicas(kube, "web") == BASELINES["web"]
    assert controller.view.target("shop/web").paused
    controller.close()


# -- targets-file targets: the pause is a row in the shared store -----------------------------
def write_targets(path: Path) -> Path:
    documents: list[dict[str, Any]] = [pa(name) for name in LOADS]
    path.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    return path


def file_replica(
    kube: KubeApiServer, clock: VirtualClock, source: FrameSource, *, identity: str,
    targets: Path, store: Any, shared: bool,
) -> KubeController:  # fmt: skip
    def from_file(replica: KubeController) -> StoredPauses:
        return StoredPauses(FileTargets(targets), store, clock=clock, shared=shared,
                            is_leader=replica.is_leader)  # fmt: skip

    return KubeController(kube.url, clock, identity=identity, leader_election=True,
                          source=source, targets_from=from_file)  # fmt: skip


def test_a_file_target_paused_on_the_follower_is_stored_and_the_leader_and_a_restart_honour_it(
    kube: KubeApiServer, clock: VirtualClock, source: FrameSource, tmp_path: Path
) -> None:
    for name in LOADS:
        seed(kube, hpa_manifest(name, "shop", min_replicas=BASELINES[name], max_replicas=20,
                                current_replicas=BASELINES[name]))  # fmt: skip
    targets, url = write_targets(tmp_path / "targets.yaml"), f"sqlite:///{tmp_path / 'f.db'}"
    stores = [SqlRecordStore.open(url), SqlRecordStore.open(url)]  # one database, two processes
    a, b = (
        file_replica(kube, clock, source, identity=f"forescale-{n}", targets=targets, store=s,
                     shared=True)
        for n, s in zip("ab", stores, strict=True)
    )  # fmt: skip
    elect(a, b)
    a.run_once()
    b.run_once()
    assert min_replicas(kube, "web") == FLOORS["web"]

    pause_on(b)
    assert stores[0].paused_targets() == {"shop/web"}
    tick(clock, a)
    assert min_replicas(kube, "web") == BASELINES["web"]
    assert min_replicas(kube, "api") == FLOORS["api"]

    a.controller.shutdown()
    assert a.elector is not None and a.elector.release()
    restarted = file_replica(kube, clock, source, identity="forescale-c", targets=targets,
                             store=SqlRecordStore.open(url), shared=True)  # fmt: skip
    assert restarted.elector is not None and restarted.elector.try_acquire_or_renew()
    tick(clock, restarted)
    assert min_replicas(kube, "web") == BASELINES["web"]  # still paused after the restart
    assert min_replicas(kube, "api") == FLOORS["api"]
    for replica in (a, b, restarted):
        replica.close()


def test_a_follower_without_a_shared_store_refuses_the_pause_instead_of_ignoring_it(
    kube: KubeApiServer, clock: VirtualClock, source: FrameSource, tmp_path: Path
) -> None:
    seed(kube, hpa_manifest("web", "shop", min_replicas=2, max_replicas=20, current_replicas=2))
    seed(kube, hpa_manifest("api", "shop", min_replicas=1, max_replicas=20, current_replicas=1))
    targets = write_targets(tmp_path / "targets.yaml")
    a, b = (
        file_replica(kube, clock, source, identity=f"forescale-{n}", targets=targets,
                     store=MemoryRecordStore(), shared=False)
        for n in "ab"
    )  # fmt: skip
    elect(a, b)
    a.run_once()
    b.run_once()

    with api(b) as follower:
        answer = follower.post("/v1/targets/shop/web/pause", headers=AS_OPERATOR)

    assert answer.status_code == 503
    assert "not the leader" in answer.json()["detail"] and "store.url" in answer.json()["detail"]
    assert not b.view.target("shop/web").paused
    pause_on(a)  # the leader's own memory is where it looks: accepted there
    tick(clock, a)
    assert min_replicas(kube, "web") == BASELINES["web"]
    a.close()
    b.close()
