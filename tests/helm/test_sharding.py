"""``replicas: 3`` renders three shard Leases the controller is allowed to hold, and the pod's
settings build a controller that drives only the shards it holds (issue 14 item 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import load_settings
from forescale.scaler.kube import ShardLeases
from forescale.scaler.wiring import build
from tests.helm.chart import (
    VALUE_SETS,
    Doc,
    of_kind,
    pod_environment,
    render,
    render_error,
    settings,
    settings_yaml,
)
from tests.integration.kube.resources import LEASE
from tests.integration.kube.server import KubeApiServer

pytestmark = [pytest.mark.helm, pytest.mark.kube]

SHARDED = VALUE_SETS["ci/sharded-values.yaml"]
SHARD_LEASES = ["forescale-shard-0", "forescale-shard-1", "forescale-shard-2"]


def lease_names(docs: tuple[Doc, ...]) -> list[str]:
    """The Leases the controller may read and renew (the leader-election Role's names)."""
    (role,) = [r for r in of_kind(docs, "Role") if r["metadata"]["name"].endswith("election")]
    (named,) = [rule for rule in role["rules"] if "resourceNames" in rule]
    assert named["verbs"] == ["get", "update"]
    return list(named["resourceNames"])


def test_three_replicas_render_three_shard_leases_and_the_rights_to_hold_them() -> None:
    docs = render(SHARDED)

    election = settings(docs)["leader_election"]
    assert (election["shards"], election["replicas"]) == (3, 3)
    assert election["shard_lease_prefix"] == "forescale-shard"
    assert lease_names(docs) == SHARD_LEASES


@pytest.mark.parametrize(
    ("sets", "leases"),
    [
        ((), ["forescale-leader"]),  # one replica: one Lease, as before sharding
        (("controller.sharding.shards=1",), ["forescale-leader"]),  # active and standbys
        (("controller.sharding.shards=5",), [f"forescale-shard-{k}" for k in range(5)]),
    ],
)
def test_the_shard_count_defaults_to_the_replicas_and_one_means_one_lease(
    sets: tuple[str, ...], leases: list[str]
) -> None:
    files = () if not sets else SHARDED
    assert lease_names(render(files, sets)) == leases


def test_shards_without_leader_election_are_refused() -> None:
    off = "controller.leaderElection.enabled=false"
    message = render_error("controller.sharding.shards=2", off)
    assert "controller.sharding.shards > 1 needs controller.leaderElection.enabled=true" in message


def test_the_rendered_settings_build_a_controller_that_holds_its_share_of_the_named_leases(
    kube: KubeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(SHARDED)
    config = tmp_path / "config.yaml"
    config.write_text(settings_yaml(docs))
    pod_environment(monkeypatch, tmp_path, kube=kube.url, identity="forescale-controller-0")

    assembly = build(load_settings(config), clock=VirtualClock(datetime(2026, 1, 5, tzinfo=UTC)))
    try:
        shards = assembly.leader
        assert isinstance(shards, ShardLeases) and assembly.controller.ownership is shards
        held = shards.try_acquire_or_renew()
    finally:
        assembly.close()

    assert len(held) == 1  # ceil(3 shards / 3 replicas): the peers get the others
    created = [lease["metadata"]["name"] for lease in kube.store.list(LEASE, "forescale")[0]]
    assert created == [SHARD_LEASES[held[0]]]
    assert set(created) <= set(lease_names(docs))  # every Lease it touches, RBAC names
