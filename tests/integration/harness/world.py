"""`FaultWorld`: two real ``forescale run`` replicas on one Kubernetes test API server and one
scriptable Prometheus, with everything a fault run observes.

Time is real (the processes read the wall clock), so the world is scaled down to seconds: every
target reads a flat load at 2-second steps and decides every 2 s (the loop's interval), the
Lease lasts 4 s, the failure threshold is the default 3 cycles. Data goes stale two steps plus
the interval (6 s) after Prometheus stops answering, so a fault is noticed and fallen back from
within ~15 s. Finer steps were tried: on a loaded 2-core machine a 1 s cycle of 30 targets in
two replicas overran its own staleness and healthy targets degraded.

Every target has its own HPA, PredictiveAutoscaler and query, so faults aimed at different
targets run at once in the same two processes (the whole catalogue shares one start-up). Replica
``forescale-a`` addresses the API server as ``127.0.0.1``, ``forescale-b`` as ``localhost``:
the Host header of each recorded request says which replica sent it, and `writes_by_non_leader`
replays the Lease's holders over the request log to find any write made without the Lease.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from forescale.scaler.domain import AsgRef
from tests.integration.aws.proxy import ProxiedRequest
from tests.integration.aws.world import REGION, AwsWorld
from tests.integration.harness.process import ForescaleProcess, wait_for
from tests.integration.kube.objects import hpa_manifest, pa_manifest, seed
from tests.integration.kube.resources import HPA, LEASE, PREDICTIVE_AUTOSCALER
from tests.integration.kube.server import KubeApiServer, RecordedRequest
from tests.integration.prometheus.standin import PromStandIn

__all__ = [
    "BASELINE",
    "FLOOR",
    "NS",
    "OPERATOR",
    "FaultWorld",
    "Replica",
    "non_leader_writes",
    "replica_settings",
]

NS = "shop"
BASELINE = 2
"""Every HPA's own minReplicas: what a released floor goes back to."""
FLOOR = 13
"""The predicted floor of every target: ceil(1000 / (100 x 0.8))."""
LOAD = 1000.0
OPERATOR = "harness-operator-token-0123456789"
FAILURE_THRESHOLD = 3
RECOVERY = 5
"""Healthy cycles back to predictive: an API outage healed once the target is reactive leaves it
reactive long enough for its floor to be seen given back."""
INTERVAL = 2.0
LEASE_SECONDS = 4.0
RETRY_SECONDS = 0.5
"""The replicas' election round period (client-go's retryPeriod)."""
IDENTITIES = {"forescale-a": "127.0.0.1", "forescale-b": "localhost"}
_API_ON = re.compile(r"API on (http://127\.0\.0\.1:\d+)")
_CYCLES = re.compile(r"^forescale_cycle_duration_seconds_count(?:\{[^}]*\})? (\S+)$", re.M)
_CONTROLLER_WRITE = re.compile(r"/horizontalpodautoscalers/|/status$|/events")
"""What the control loop writes (a pause's annotation is an operator's request, which either
replica's API accepts and whichever leads honours)."""
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent/forescale-tests",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/forescale-tests",
}  # fmt: skip
"""moto's credentials, and no file or instance metadata to find others in."""
_WRITES = ("POST", "PUT", "PATCH", "DELETE")


def query(name: str) -> str:
    return f'sum(rate(requests_total{{service="{name}"}}[1m]))'


def group_document(name: str) -> dict[str, Any]:
    """A PredictiveAutoscaler of Auto Scaling group ``name`` (moto), for the targets file."""
    return {
        "apiVersion": "forescale.io/v1alpha1", "kind": "PredictiveAutoscaler",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"target": {"asg": {"name": name, "region": REGION}}, "query": query(name),
                 "capacityPerReplica": 100, "minReplicas": BASELINE, "maxReplicas": 20,
                 "leadTime": "5s", "interval": "2s", "step": "2s", "history": "2h",
                 "model": "level"},
    }  # fmt: skip


def target_document(name: str) -> dict[str, Any]:
    """The PredictiveAutoscaler of HPA ``shop/name`` at the harness's 1-second scale."""
    return pa_manifest(
        name, NS, query=query(name), capacityPerReplica=100, maxReplicas=20, leadTime="5s",
        interval="2s", step="2s", history="2h", model="level",
    )  # fmt: skip


def replica_settings(
    prometheus: str, kube: str, *, identity: str, host: str, store: Path
) -> dict[str, Any]:
    """A ``forescale run`` at the harness's seconds scale (see the module docstring), reaching
    the API server at ``kube`` by the name ``host`` (which the request log tells apart), with
    its SQLite record store in directory ``store``."""
    return {
        "prometheus": {"url": prometheus, "timeout_seconds": 1, "retries": 0},
        "kubernetes": {"enabled": True, "timeout_seconds": 1,
                       "host": kube.replace("127.0.0.1", host)},
        "leader_election": {"enabled": True, "namespace": "forescale", "identity": identity,
                            "lease_duration_seconds": LEASE_SECONDS,
                            "renew_deadline_seconds": 3, "retry_period_seconds": RETRY_SECONDS},
        "controller": {"interval_seconds": INTERVAL, "cycle_deadline_seconds": 6,
                       "shutdown_seconds": 5,
                       "shadow_start": False},  # floors from the first forecast
        "store": {"url": f"sqlite:///{store / 'forescale.db'}"},
        "api": {"enabled": True, "port": 0},
    }  # fmt: skip


@dataclass
class Replica:
    name: str
    process: ForescaleProcess
    api: str = ""

    def log(self) -> str:
        return self.process.log()

    def get(self, path: str, *, timeout: float = 5.0) -> str:
        return _http(self.api + path, timeout=timeout)

    def post(self, path: str, *, timeout: float = 5.0) -> str:
        return _http(self.api + path, timeout=timeout, method="POST")

    def mode_metric(self, target: str) -> str | None:
        """The mode whose ``forescale_mode`` sample is 1 for ``target`` (None: no sample)."""
        labels = rf'(?=[^}}]*target="{re.escape(target)}")[^}}]*mode="(\w+)"[^}}]*'
        pattern = re.compile(rf"forescale_mode\{{{labels}\}} 1\.0")
        found = pattern.search(self.get("/metrics"))
        return found.group(1) if found else None

    def cycles(self) -> int:
        """Control cycles this replica has finished (``forescale_cycle_duration_seconds``)."""
        found = _CYCLES.search(self.get("/metrics"))
        return int(float(found.group(1))) if found else 0


def _http(url: str, *, timeout: float, method: str = "GET") -> str:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None,
                                     headers={"Authorization": f"Bearer {OPERATOR}"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
        return str(response.read().decode())


@dataclass
class FaultWorld:
    """See the module docstring. ``targets``: the names seeded in the cluster; ``filed``: the
    names in the targets file (their HPAs are in the cluster too); ``groups``: Auto Scaling
    groups on moto (through its fault proxy), also in the targets file."""

    workdir: Path
    targets: list[str]
    filed: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    aws: AwsWorld | None = None
    kube: KubeApiServer = field(init=False)
    prometheus: PromStandIn = field(init=False)
    replicas: dict[str, Replica] = field(default_factory=dict)
    starts: int = 0

    def __post_init__(self) -> None:
        self.kube = KubeApiServer().start()
        now = datetime.fromtimestamp(int(time.time()) // 2 * 2, UTC)  # on the 2 s step grid
        index = pd.date_range(now - timedelta(hours=3), now + timedelta(hours=1), freq="2s")
        flat = pd.Series(np.full(len(index), LOAD), index=index)
        names = [*self.targets, *self.filed, *self.groups]
        self.prometheus = PromStandIn({query(n): flat for n in names})
        self.prometheus.__enter__()
        for name in [*self.targets, *self.filed]:
            seed(self.kube, hpa_manifest(name, NS, min_replicas=BASELINE, max_replicas=20,
                                         current_replicas=BASELINE))  # fmt: skip
        for name in self.targets:
            seed(self.kube, target_document(name))
        for name in self.groups:
            assert self.aws is not None, "Auto Scaling groups need moto"
            self.aws.create_group(name, min_size=BASELINE, max_size=20, desired=BASELINE)
        self.targets_file = self.workdir / "targets.yaml"
        documents = [*map(target_document, self.filed), *map(group_document, self.groups)]
        self.write_targets(yaml.safe_dump_all(documents))

    def write_targets(self, text: str | bytes) -> None:
        """Replace the targets file's content at once (a rename, as a ConfigMap update does)."""
        new = self.targets_file.with_suffix(".new")
        if isinstance(text, bytes):
            new.write_bytes(text)
        else:
            new.write_text(text, encoding="utf-8")
        new.replace(self.targets_file)

    # -- the replicas --------------------------------------------------------------------------
    def settings(self, identity: str) -> dict[str, Any]:
        settings = replica_settings(self.prometheus.url, self.kube.url, identity=identity,
                                    host=IDENTITIES[identity], store=self.workdir)  # fmt: skip
        settings["controller"].update(failure_threshold=FAILURE_THRESHOLD,
                                      recovery_threshold=RECOVERY, io_workers=8,
                                      targets_file=str(self.targets_file))  # fmt: skip
        settings["aws"] = {"endpoint_url": self._aws_url(identity), "max_attempts": 2}
        return settings

    def start(self, identity: str) -> Replica:
        """Start replica ``identity`` (a restart keeps the earlier run's log beside it)."""
        self.starts += 1
        process = ForescaleProcess(self.workdir, self.settings(identity),
                                   name=f"{self.starts}-{identity}",
                                   env={"FORESCALE_API__OPERATOR_TOKENS": OPERATOR,
                                        **AWS_ENV})  # fmt: skip
        replica = Replica(identity, process)
        self.replicas[identity] = replica
        found = wait_for(f"{identity}'s API", lambda: _API_ON.search(process.log()), timeout=90)
        replica.api = found.group(1)
        return replica

    def leader(self) -> str:
        lease = self.kube.store.get(LEASE, "forescale", "forescale-controller")
        return str(lease["spec"].get("holderIdentity") or "")

    def wait_leader(self, *, timeout: float = 30.0, other_than: str = "") -> Replica:
        name = wait_for("a leader", lambda: (h := self.leader()) in self.replicas
                        and h != other_than and h, timeout=timeout)  # fmt: skip
        return self.replicas[str(name)]

    def follower(self) -> Replica:
        leader = self.leader()
        return next(r for n, r in self.replicas.items() if n != leader)

    def close(self) -> None:
        for replica in self.replicas.values():
            replica.process.__exit__()
        self.prometheus.__exit__(None, None, None)
        self.kube.stop()

    # -- what the cluster says -----------------------------------------------------------------
    def floor(self, name: str) -> int | None:
        if name in self.groups and self.aws is not None:
            return int(self.aws.group(AsgRef(name=name, region=REGION))["MinSize"])
        try:
            return int(self.kube.store.get(HPA, NS, name)["spec"]["minReplicas"])
        except Exception:  # noqa: BLE001 - deleted on purpose by a fault
            return None

    def status(self, name: str) -> dict[str, Any]:
        """The PredictiveAutoscaler's status; a file target's has none in the cluster: what the
        leader's API shows (``mode``, ``modeReason``)."""
        if name not in self.targets:
            shown = json.loads(self.replicas[self.leader()].get(f"/v1/targets/{NS}/{name}"))
            return {"mode": shown["mode"], "modeReason": shown["mode_reason"]}
        try:
            obj = self.kube.store.get(PREDICTIVE_AUTOSCALER, NS, name)
        except Exception:  # noqa: BLE001 - deleted on purpose by a fault
            return {}
        return dict(obj.get("status") or {})

    def floors(self) -> dict[str, int | None]:
        return {name: self.floor(name) for name in [*self.targets, *self.filed, *self.groups]}

    def writes_by_non_leader(self) -> list[str]:
        """Every controller write made by a replica not holding the Lease at that moment (see
        `non_leader_writes`)."""
        with self.kube._log_lock:  # noqa: SLF001 - a consistent copy of the log
            kube = list(self.kube.requests)
        return non_leader_writes(kube, self._aws_requests())

    def _aws_requests(self) -> list[ProxiedRequest]:
        if self.aws is None:
            return []
        with self.aws.proxy._lock:  # noqa: SLF001 - a consistent copy of the log
            return list(self.aws.proxy.requests)

    def _aws_url(self, identity: str) -> str | None:
        """The AWS proxy as ``identity`` names it (its Host header tells the writers apart)."""
        if self.aws is None:
            return None
        return self.aws.proxy.url.replace("127.0.0.1", IDENTITIES[identity])

    def modes(
        self, names: list[str], *, seconds: float, every: float = 0.5
    ) -> Iterator[dict[str, tuple[str, int | None]]]:
        """Each target's (status mode, floor) every ``every`` seconds for ``seconds``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            yield {n: (str(self.status(n).get("mode", "")), self.floor(n)) for n in names}
            time.sleep(every)


def non_leader_writes(kube: Iterable[RecordedRequest], aws: Iterable[ProxiedRequest]) -> list[str]:
    """Controller writes (HPA, status, event: successful; AWS: attempted) by a replica that did
    not hold the Lease then, replaying the Lease's holders from both logs merged in time order.
    Each replica names both servers by its own host (`IDENTITIES`), so the Host header says
    who sent a request."""
    hosts = {host: name for name, host in IDENTITIES.items()}
    merged: list[tuple[float, str, str, str, RecordedRequest | None]] = [
        (r.at, r.host, r.verb, r.path, r) for r in kube if r.verb in _WRITES and r.status < 300
    ]
    merged += [(r.at, r.host, "AWS", r.operation, None) for r in aws if r.writes]
    holder, bad = "", []
    for _, host, verb, what, request in sorted(merged, key=lambda w: w[0]):
        sender = hosts.get(host.rsplit(":", 1)[0], host)
        if request is not None and "/leases" in what:
            holder = str((request.body or {}).get("spec", {}).get("holderIdentity") or "")
        elif (request is None or _CONTROLLER_WRITE.search(what)) and holder != sender:
            bad.append(f"{sender} {verb} {what} while {holder!r} led")
    return bad
