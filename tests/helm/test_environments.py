"""The environment presets deploy what their names promise."""

from __future__ import annotations

import pytest

from tests.helm.chart import (
    ENVIRONMENTS,
    VALUE_SETS,
    controller,
    env,
    of_kind,
    one,
    render,
    settings,
)

pytestmark = pytest.mark.helm


def test_dev_is_one_dry_running_replica_with_debug_logs_and_sqlite_on_a_volume() -> None:
    docs = render(VALUE_SETS["dev"])
    deployment = one(docs, "Deployment")
    config = settings(docs)
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # never two pods at once
    assert config["controller"]["dry_run"] is True
    assert config["log_level"] == "DEBUG"
    assert config["leader_election"]["enabled"] is False
    assert config["store"]["url"] == "sqlite:////var/lib/forescale/forescale.db"
    pod = deployment["spec"]["template"]["spec"]
    data = next(v for v in pod["volumes"] if v["name"] == "data")
    claim = one(docs, "PersistentVolumeClaim")
    assert data["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert not of_kind(docs, "PodDisruptionBudget") and not of_kind(docs, "ServiceMonitor")


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_run_two_elected_replicas_on_postgresql_with_monitoring(
    environment: str,
) -> None:
    docs = render(VALUE_SETS[environment])
    deployment = one(docs, "Deployment")
    config = settings(docs)
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert config["leader_election"]["enabled"] is True
    assert config["controller"]["dry_run"] is False
    assert "url" not in config["store"]  # the PostgreSQL URL comes from the Secret
    assert "secretKeyRef" in env(controller(docs))["FORESCALE_STORE__URL"]["valueFrom"]
    assert config["store"]["models_url"].startswith("s3://")
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert one(docs, "ServiceMonitor")["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts = {r["alert"] for r in one(docs, "PrometheusRule")["spec"]["groups"][0]["rules"]}
    assert {"ForescaleTargetStuckReactive", "ForescaleLeaderMissing"} <= alerts
    assert one(docs, "CronJob")["spec"]["concurrencyPolicy"] == "Forbid"
    for account in of_kind(docs, "ServiceAccount"):  # the controller's and the trainer's
        assert "eks.amazonaws.com/role-arn" in account["metadata"]["annotations"]
    assert env(controller(docs))["SENTRY_ENVIRONMENT"]["value"] == environment


def test_prod_serves_https_behind_a_network_policy() -> None:
    docs = render(VALUE_SETS["prod"])
    assert one(docs, "Service")["spec"]["ports"][0]["appProtocol"] == "https"
    assert one(docs, "ServiceMonitor")["spec"]["endpoints"][0]["scheme"] == "https"
    test_pod = one(docs, "Pod")
    assert test_pod["spec"]["containers"][0]["args"][-1].startswith("https://forescale-api.")
    policy = one(docs, "NetworkPolicy")
    (rule,) = policy["spec"]["ingress"]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    } in (rule["from"])


def test_the_pdb_needs_a_second_replica() -> None:
    docs = render(sets=("controller.podDisruptionBudget.enabled=true",))
    assert not of_kind(docs, "PodDisruptionBudget")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_pods_roll_when_their_settings_change(environment: str) -> None:
    def checksum(sets: tuple[str, ...]) -> str:
        docs = render(VALUE_SETS[environment], sets)
        pod = one(docs, "Deployment")["spec"]["template"]["metadata"]
        return str(pod["annotations"]["checksum/config"])

    assert checksum(()) != checksum(("config.controller.interval_seconds=120",))
