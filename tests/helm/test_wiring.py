"""Every setting the chart renders reaches the object it configures, through `wiring.build`.

The chart's values (every ``config.*`` field off its default, a watched namespace, a Prometheus
token, declared targets) are rendered by the real helm, loaded as the pod would load them
(ConfigMap file plus the chart's environment), built against the Kubernetes test server, and
each value is found where it acts. ``log_level``/``log_format`` act in ``forescale run`` (see
tests/integration/controller/test_run_outside_cluster.py) and ``api.*`` in the API server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import load_settings
from forescale.scaler.planning.hysteresis import FloorHysteresis
from forescale.scaler.store import SqlRecordStore
from forescale.scaler.target_sources import CombinedTargets, ResolvedTargets
from forescale.scaler.wiring import build
from tests.helm.chart import VALUE_SETS, of_kind, pod_environment, render, settings_yaml
from tests.integration.kube.server import KubeApiServer

pytestmark = [pytest.mark.helm, pytest.mark.kube]

SETS = (
    "config.prometheus.url=http://prometheus.test:9090",
    "config.prometheus.timeout_seconds=7",
    "config.prometheus.retries=4",
    "config.controller.interval_seconds=30",
    "config.controller.dry_run=true",
    "config.controller.restore_on_shutdown=false",
    "config.controller.failure_threshold=4",
    "config.controller.recovery_threshold=6",
    "config.controller.refit_every_seconds=7200",
    "config.controller.max_refits_per_cycle=3",
    "config.controller.cycle_deadline_seconds=25",
    "config.controller.io_workers=3",
    "config.controller.shutdown_seconds=15",
    "config.controller.floor_lower_band=0",  # (--set makes 0.2 a string: whole numbers here)
    "config.controller.floor_raise_band=1",
    "config.controller.floor_min_band=2",
    "config.controller.floor_persistence_seconds=1800",
    "config.controller.shadow_start=false",
    "config.kubernetes.timeout_seconds=4",
    "config.leader_election.lease_duration_seconds=20",
    "config.leader_election.renew_deadline_seconds=12",
    "config.leader_election.retry_period_seconds=3",
    "config.aws.endpoint_url=http://127.0.0.1:1",
    "config.aws.retry_mode=adaptive",
    "config.aws.max_attempts=6",
    "config.aws.asg_control=desired-capacity",
    "config.store.models_url=s3://forescale-test/models",
    "config.store.retention_days=3",
    "config.store.models_keep=7",
    "watchNamespace=shop",
)


def test_every_setting_the_chart_renders_reaches_what_it_configures(
    kube: KubeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(VALUE_SETS["ci/targets-values.yaml"], SETS)
    config = tmp_path / "config.yaml"
    config.write_text(settings_yaml(docs))
    rendered = yaml.safe_load(config.read_text())
    # The pod's mounts and environment, mapped to this machine: the declared targets file and
    # the Prometheus token at their own paths, the database URL and identity the chart passes.
    targets = tmp_path / "targets.yaml"
    targets_map = next(d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith(
        "targets"))  # fmt: skip
    targets.write_text(targets_map["data"]["targets.yaml"])
    token = tmp_path / "token"
    token.write_text("prometheus-secret\n")
    assert rendered["controller"]["targets_file"] and rendered["prometheus"]["bearer_token_file"]
    pod_environment(monkeypatch, tmp_path, kube=kube.url, identity="forescale-0",
                    CONTROLLER__TARGETS_FILE=str(targets),
                    PROMETHEUS__BEARER_TOKEN_FILE=str(token))  # fmt: skip

    assembly = build(load_settings(config), clock=VirtualClock(datetime(2026, 1, 5, tzinfo=UTC)))
    try:
        controller = assembly.controller
        source = controller.source
        assert source._base == "http://prometheus.test:9090"  # type: ignore[attr-defined]
        assert source._timeout == 7 and source._retries == 4  # type: ignore[attr-defined]
        headers = source._client.headers  # type: ignore[attr-defined]
        assert headers["Authorization"] == "Bearer prometheus-secret"

        c = controller.settings
        assert (c.interval_seconds, c.dry_run, c.restore_on_shutdown) == (30, True, False)
        assert c.max_refits_per_cycle == 3
        assert (c.deadline_seconds, c.io_workers, c.shutdown_seconds) == (25, 3, 15)
        assert c.runtime.fallback.failure_threshold == 4
        assert c.runtime.fallback.recovery_threshold == 6
        assert c.runtime.refit.refit_every == timedelta(hours=2)
        assert c.runtime.floor_hysteresis == FloorHysteresis(
            lower_band=0, raise_band=1, min_band=2, persistence=timedelta(minutes=30)
        )
        assert c.runtime.tuning.shadow_start is False

        hpa = controller.actuators["hpa"]
        assert hpa.namespace == "shop"  # type: ignore[attr-defined]
        assert hpa._api.timeout == 4  # type: ignore[attr-defined]
        lease = assembly.leader.config  # type: ignore[union-attr]
        assert (lease.namespace, lease.identity) == ("forescale", "forescale-0")
        assert lease.name == rendered["leader_election"]["lease_name"]
        assert (lease.lease_duration, lease.renew_deadline, lease.retry_period) == (
            timedelta(seconds=20), timedelta(seconds=12), timedelta(seconds=3),
        )  # fmt: skip

        asg = controller.actuators["asg"]
        assert asg._control == "desired-capacity"  # type: ignore[attr-defined]
        aws = asg._clients.settings  # type: ignore[attr-defined]
        assert (aws.endpoint_url, aws.retry_mode, aws.max_attempts) == (
            "http://127.0.0.1:1", "adaptive", 6,
        )  # fmt: skip

        assert isinstance(assembly.store, SqlRecordStore)
        retention = controller.reporter.retention.__self__  # type: ignore[union-attr]
        assert retention.window == timedelta(days=3)
        models = assembly.view.store
        assert models.url == "s3://forescale-test/models"  # type: ignore[union-attr]
        assert models._clients.settings.max_attempts == 6  # type: ignore[union-attr]
        assert models.keep == 7  # type: ignore[union-attr]

        # Kubernetes is always on in the chart: its declared targets still run, beside the
        # cluster's objects (none here), from the namespace it watches.
        provider = controller.targets
        assert isinstance(provider, ResolvedTargets)
        assert isinstance(provider.inner, CombinedTargets)
        assert provider.inner.cluster.namespace == "shop"  # type: ignore[attr-defined]
        polled = provider.poll()
        names = sorted(str(s.name) for s in polled.targets)
        assert names == ["forescale/web-fleet", "shop/checkout"]
    finally:
        assembly.close()
