"""Three real ``forescale run`` replicas split the targets over three shard Leases.

The Kubernetes test API server and a scriptable Prometheus, at the fault harness's seconds scale
(`tests.integration.harness.world`: 2 s steps and cycles, a 4 s Lease renewed every 0.5 s).
Six targets, two per shard. Each replica addresses the API server by another name
(``127.0.0.1``, ``localhost``, ``127.1``), so the Host header of every recorded request says who
sent it, and `ShardWorld.writes_without_the_shard` replays the shard Leases' holders over the
request log to find any write for a target made by a replica not holding its shard at that
moment. One test, in phases sharing the start-up: every target driven exactly once; one replica
killed (SIGKILL), its shard taken within the lease duration plus a cycle and its targets driven
by the taker; one replica hung (SIGSTOP), the same, and once resumed (SIGCONT) it writes nothing
for the shards it lost.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forescale.scaler.kube import shard_of
from forescale.scaler.store.sql import SqlRecordStore
from tests.integration.harness.process import ForescaleProcess, wait_for
from tests.integration.harness.world import (
    BASELINE,
    FLOOR,
    INTERVAL,
    LEASE_SECONDS,
    LOAD,
    NS,
    RETRY_SECONDS,
    query,
    replica_settings,
    target_document,
)
from tests.integration.kube.objects import hpa_manifest, seed
from tests.integration.kube.resources import HPA, LEASE
from tests.integration.kube.server import KubeApiServer
from tests.integration.prometheus.standin import PromStandIn

pytestmark = [pytest.mark.kube, pytest.mark.slow]

SHARDS = 3
HOSTS = {"forescale-a": "127.0.0.1", "forescale-b": "localhost", "forescale-c": "127.1"}
BUSIER = 1400.0
"""A killed or hung replica's targets' load afterwards: ceil(1400 / 80) = 18 replicas."""
BUSIER_FLOOR = 18
HANDOVER = LEASE_SECONDS + 2 * RETRY_SECONDS + 2.0
"""Longest a shard may go without a valid holder, from its lost holder's last renew to the new
holder's take: the lease duration, then up to a round to see the renew and a round to act on
the expiry, plus 2 s for three Python processes and the test's servers sharing two cores. (A
shard kept back by the share rules is only taken a lease duration later still: over this.)"""
_API_ON = re.compile(r"API on (http://127\.0\.0\.1:\d+)")
_MODE = re.compile(r'forescale_mode\{[^}]*target="([^"]+)"[^}]*\} 1\.0')
_TARGET_WRITE = re.compile(r"/(?:horizontalpodautoscalers|predictiveautoscalers)/([^/]+)")


def _targets() -> list[str]:
    """Two target names per shard (the first that hash there)."""
    picked: dict[int, list[str]] = {k: [] for k in range(SHARDS)}
    for i in range(100):
        name = f"svc{i}"
        if len(picked[shard_of(f"{NS}/{name}", SHARDS)]) < 2:
            picked[shard_of(f"{NS}/{name}", SHARDS)].append(name)
    return [n for names in picked.values() for n in names]


TARGETS = _targets()


def flat(level: float) -> pd.Series:
    now = datetime.fromtimestamp(int(time.time()) // 2 * 2, UTC)  # on the 2 s step grid
    index = pd.date_range(now - timedelta(hours=3), now + timedelta(hours=1), freq="2s")
    return pd.Series(np.full(len(index), level), index=index)


@dataclass
class ShardWorld:
    workdir: Path
    kube: KubeApiServer = field(init=False)
    prometheus: PromStandIn = field(init=False)
    replicas: dict[str, ForescaleProcess] = field(default_factory=dict)
    apis: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kube = KubeApiServer().start()
        self.prometheus = PromStandIn({query(n): flat(LOAD) for n in TARGETS})
        self.prometheus.__enter__()
        for name in TARGETS:
            seed(self.kube, hpa_manifest(name, NS, min_replicas=BASELINE, max_replicas=20,
                                         current_replicas=BASELINE))  # fmt: skip
            seed(self.kube, target_document(name))
        # Migrated once here: three processes creating one SQLite schema at once race.
        SqlRecordStore.open(f"sqlite:///{self.workdir / 'forescale.db'}").close()

    def settings(self, identity: str) -> dict[str, Any]:
        settings = replica_settings(self.prometheus.url, self.kube.url, identity=identity,
                                    host=HOSTS[identity], store=self.workdir)  # fmt: skip
        settings["leader_election"].update(shards=SHARDS, replicas=len(HOSTS))
        return settings

    def start_all(self) -> None:
        for identity in HOSTS:
            self.replicas[identity] = ForescaleProcess(
                self.workdir, self.settings(identity), name=identity
            )
        for identity, process in self.replicas.items():
            found = wait_for(f"{identity}'s API", functools.partial(_api_on, process),
                             timeout=90)  # fmt: skip
            self.apis[identity] = found.group(1)

    def close(self) -> None:
        for process in self.replicas.values():
            if process.running():
                os.kill(process.pid, signal.SIGCONT)  # a stopped process ignores SIGKILL's exit
            process.__exit__()
        self.prometheus.__exit__(None, None, None)
        self.kube.stop()

    # -- what the cluster and the replicas say -------------------------------------------------
    def holders(self) -> dict[int, str]:
        out = {}
        for k in range(SHARDS):
            try:
                lease = self.kube.store.get(LEASE, "forescale", f"forescale-shard-{k}")
            except Exception:  # noqa: BLE001 - not created yet
                out[k] = ""
                continue
            out[k] = str(lease["spec"].get("holderIdentity") or "")
        return out

    def floor(self, name: str) -> int:
        return int(self.kube.store.get(HPA, NS, name)["spec"]["minReplicas"])

    def driven(self, identity: str) -> set[str]:
        """The targets with a mode sample in ``identity``'s metrics: the ones it drives."""
        body = _get(self.apis[identity] + "/metrics")
        return {t.split("/", 1)[1] for t in _MODE.findall(body)}

    def writes_without_the_shard(self) -> list[str]:
        """Every successful write for a target (HPA, its status, an event about it) by a
        replica not holding the target's shard at that moment, replaying the Leases' holders
        over the request log in order."""
        senders = {host: name for name, host in HOSTS.items()}
        holder: dict[int, str] = {}
        bad = []
        with self.kube._log_lock:  # noqa: SLF001 - a consistent copy of the log
            requests = list(self.kube.requests)
        for r in requests:
            if r.verb not in ("POST", "PUT", "PATCH") or r.status >= 300:
                continue
            sender = senders.get(r.host.rsplit(":", 1)[0], r.host)
            body = r.body or {}
            if "/leases" in r.path:
                k = int(str(body["metadata"]["name"]).rsplit("-", 1)[1])
                holder[k] = str(body.get("spec", {}).get("holderIdentity") or "")
                continue
            found = _TARGET_WRITE.search(r.path)
            target = found.group(1) if found else (body.get("regarding") or {}).get("name")
            if target is None:
                continue
            k = shard_of(f"{NS}/{target}", SHARDS)
            if holder.get(k) != sender:
                bad.append(f"{sender} {r.verb} {r.path} while {holder.get(k)!r} held shard {k}")
        return bad

    def hpa_writers(self, name: str, *, since: int = 0) -> list[str]:
        senders = {host: n for n, host in HOSTS.items()}
        with self.kube._log_lock:  # noqa: SLF001 - a consistent copy of the log
            requests = list(self.kube.requests)[since:]
        return [senders[r.host.rsplit(":", 1)[0]] for r in requests
                if r.verb == "PATCH" and r.path.endswith(f"/horizontalpodautoscalers/{name}")
                and r.status < 300]  # fmt: skip


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        return str(response.read().decode())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ShardWorld]:
    w = ShardWorld(tmp_path)
    try:
        w.start_all()
        yield w
    finally:
        w.close()


def _api_on(process: ForescaleProcess) -> re.Match[str] | None:
    return _API_ON.search(process.log())


def _floor_is(world: ShardWorld, name: str, floor: int) -> bool:
    return world.floor(name) == floor


def _drives(world: ShardWorld, identity: str, targets: set[str]) -> bool:
    return world.driven(identity) == targets


def _shown(world: ShardWorld, identity: str, name: str) -> dict[str, Any] | None:
    """``name`` as ``identity``'s API shows it, once it shows the floor (None before)."""
    shown: dict[str, Any] = json.loads(_get(world.apis[identity] + f"/v1/targets/{NS}/{name}"))
    return shown if shown["floor"] == FLOOR else None


def _shard_targets(k: int) -> list[str]:
    return [n for n in TARGETS if shard_of(f"{NS}/{n}", SHARDS) == k]


def _taken(world: ShardWorld, k: int, *, by_other_than: str, since: float) -> float:
    """Seconds from ``since`` until shard ``k`` has a holder other than ``by_other_than``."""
    wait_for(f"shard {k} taken from {by_other_than}",
             lambda: world.holders()[k] not in ("", by_other_than), timeout=30,
             every=0.05)  # fmt: skip
    return time.monotonic() - since


def _unheld(world: ShardWorld, k: int, *, lost_by: str) -> float:
    """Seconds shard ``k`` went without a valid holder, as the API server saw it: from
    ``lost_by``'s last successful write of its Lease to the first by another replica after it
    (server-side times: neither the test's polling nor when the signal fell in the renew
    period counts)."""
    path = f"/leases/forescale-shard-{k}"
    with world.kube._log_lock:  # noqa: SLF001 - a consistent copy of the log
        writes = [r for r in world.kube.requests
                  if r.verb == "PUT" and r.status < 300 and r.path.endswith(path)]  # fmt: skip
    holder = [str((r.body or {}).get("spec", {}).get("holderIdentity") or "") for r in writes]
    last = max(i for i, h in enumerate(holder) if h == lost_by)
    taken = next(i for i in range(last + 1, len(writes)) if holder[i] not in ("", lost_by))
    return writes[taken].at - writes[last].at


def test_three_replicas_drive_every_target_once_and_survive_a_kill_and_a_hang(
    world: ShardWorld,
) -> None:
    # 1. every shard held by a different replica; each target driven by its shard's holder only
    wait_for("three holders", lambda: len(set(world.holders().values()) - {""}) == 3, timeout=60)
    up = time.monotonic()  # every replica has run an election round by now
    wait_for("every floor raised", lambda: all(world.floor(n) == FLOOR for n in TARGETS),
             timeout=60)  # fmt: skip
    holders = world.holders()
    owner = {n: holders[shard_of(f"{NS}/{n}", SHARDS)] for n in TARGETS}
    for identity in HOSTS:
        mine = {n for n in TARGETS if owner[n] == identity}
        drives = functools.partial(_drives, world, identity, mine)
        wait_for(f"{identity} driving {sorted(mine)}", drives, timeout=20)
    assert world.writes_without_the_shard() == []
    # ... and every replica's API answers for every target: its own live, the others' from the
    # shared store, with the owner named; the owner's live model is only the owner's
    for identity in HOSTS:
        listed = json.loads(_get(world.apis[identity] + "/v1/targets"))
        assert sorted(t["name"] for t in listed) == sorted(f"{NS}/{n}" for n in TARGETS)
    other = next(n for n in TARGETS if owner[n] != "forescale-a")
    shown = wait_for(f"{other} shown by forescale-a", functools.partial(
        _shown, world, "forescale-a", other), timeout=20)  # fmt: skip
    assert shown["mode"] == "predictive" and owner[other] in shown["mode_reason"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(world.apis["forescale-a"] + f"/v1/targets/{NS}/{other}/forecast")
    assert refused.value.code == 409 and owner[other] in refused.value.read().decode()

    # 2. SIGKILL one replica: its shard is taken within a lease duration plus a cycle, and the
    # taker drives its targets (their load grows: the floor follows)
    killed_shard, killed = next((k, h) for k, h in holders.items() if h == "forescale-a")
    # For its first two lease durations a replica takes no more than its share of the replicas
    # it expects (`ShardLeases`: all pods restarting must not leave every expired shard to the
    # first one up), so a peer dying that early has its shard taken a lease later than here. On
    # a quiet machine this phase ends within that window: the handover is measured after it.
    time.sleep(max(0.0, up + 2 * LEASE_SECONDS - time.monotonic()))
    start = len(world.kube.requests)
    killed_at = time.monotonic()
    world.replicas[killed].kill()
    for name in _shard_targets(killed_shard):
        world.prometheus.series[query(name)] = flat(BUSIER)
    taken_after = _taken(world, killed_shard, by_other_than=killed, since=killed_at)
    unheld = _unheld(world, killed_shard, lost_by=killed)
    assert unheld <= HANDOVER, f"unheld for {unheld:.2f} s (seen taken {taken_after:.2f} s on)"
    taker = world.holders()[killed_shard]
    for name in _shard_targets(killed_shard):
        wait_for(f"{name}'s floor raised by {taker}",
                 functools.partial(_floor_is, world, name, BUSIER_FLOOR), timeout=30)  # fmt: skip
        assert set(world.hpa_writers(name, since=start)) == {taker}
    driven_after = time.monotonic() - killed_at
    print(  # noqa: T201 - the figures, for the report (pytest -s)
        f"\nSIGKILL: shard unheld {unheld:.2f} s, seen taken after {taken_after:.2f} s, floors "
        f"by the taker after "
        f"{driven_after:.2f} s (lease {LEASE_SECONDS:g} s, cycle {INTERVAL:g} s)"
    )

    # 3. SIGSTOP the other replica that held one shard at the start: the same; once resumed
    # it writes nothing for what it lost
    hung = next(i for i in HOSTS if i not in (killed, taker))
    (hung_shard,) = [k for k, h in world.holders().items() if h == hung]
    survivor = taker
    process = world.replicas[hung]
    start = len(world.kube.requests)
    hung_at = time.monotonic()
    os.kill(process.pid, signal.SIGSTOP)
    for name in _shard_targets(hung_shard):
        world.prometheus.series[query(name)] = flat(BUSIER)
    taken_after = _taken(world, hung_shard, by_other_than=hung, since=hung_at)
    unheld = _unheld(world, hung_shard, lost_by=hung)
    assert unheld <= HANDOVER, f"unheld for {unheld:.2f} s (seen taken {taken_after:.2f} s on)"
    for name in _shard_targets(hung_shard):
        wait_for(f"{name}'s floor raised by {survivor}",
                 functools.partial(_floor_is, world, name, BUSIER_FLOOR), timeout=30)  # fmt: skip
        assert set(world.hpa_writers(name, since=start)) == {survivor}
    print(f"SIGSTOP: shard unheld {unheld:.2f} s, seen taken after {taken_after:.2f} s")  # noqa: T201
    resumed = len(world.kube.requests)
    os.kill(process.pid, signal.SIGCONT)
    wait_for(f"{hung} dropping its lost targets", lambda: world.driven(hung) == set(),
             timeout=20)  # fmt: skip
    time.sleep(2 * INTERVAL)  # two more of its cycles
    with world.kube._log_lock:  # noqa: SLF001 - a consistent copy of the log
        after = list(world.kube.requests)[resumed:]
    by_hung = [r for r in after if r.host.rsplit(":", 1)[0] == HOSTS[hung]
               and r.verb in ("POST", "PUT", "PATCH") and "/leases" not in r.path]  # fmt: skip
    assert by_hung == [], [f"{r.verb} {r.path}" for r in by_hung]
    assert world.driven(survivor) == set(TARGETS)
    assert world.writes_without_the_shard() == []
