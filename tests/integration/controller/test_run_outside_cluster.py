"""``forescale run`` outside a cluster, through the console script against a real Prometheus:
the README's dry run works with only a Prometheus URL and a targets file (no cluster, no AWS),
an HPA that cannot be driven is refused naming the setting, and a bad targets file never ends
in a silent exit 0."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.console import forescale
from tests.integration.kube.objects import asg_manifest, pa_manifest
from tests.integration.prometheus.server import NASA_QUERY, minute_floor, nasa_family

pytestmark = [pytest.mark.prometheus]

DECISION = (
    r"shop/nasa: (predictive|degraded), floor \d+, lead 5m: floor \d+ because the p90 forecast "
    r"for \d\d:\d\d-\d\d:\d\d peaks at [\d,.]+ .*"
)


@pytest.fixture
def fresh_prometheus(prometheus_factory: Callable[..., Any]) -> str:
    """Five days of the NASA trace ending a minute ago (fresh: the cycle trusts it; the first
    tuning backtests the last two on a model fitted on the three before)."""
    family, _ = nasa_family(end=minute_floor(datetime.now(UTC)) - timedelta(minutes=1), days=5)
    return str(prometheus_factory(families=[family]).url)


def nasa_targets(tmp_path: Path, **spec: Any) -> Path:
    path = tmp_path / "targets.yaml"
    document = pa_manifest(
        "nasa", "shop", query=NASA_QUERY, capacityPerReplica=5, maxReplicas=200, history="5d",
        model="seasonal_naive", **spec,
    )  # fmt: skip
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_readmes_dry_run_prints_each_decision_with_no_cluster_and_no_aws(
    fresh_prometheus: str, tmp_path: Path
) -> None:
    env = {
        "FORESCALE_PROMETHEUS__URL": fresh_prometheus,
        "FORESCALE_CONTROLLER__TARGETS_FILE": str(nasa_targets(tmp_path)),
    }
    done = forescale("run", "--dry-run", "--once", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert re.fullmatch(DECISION, line), line
    assert " ERROR " not in done.stderr and "Traceback" not in done.stderr


def test_an_hpa_without_kubernetes_is_refused_naming_the_setting_and_existing_flags(
    fresh_prometheus: str, tmp_path: Path
) -> None:
    env = {
        "FORESCALE_PROMETHEUS__URL": fresh_prometheus,
        "FORESCALE_CONTROLLER__TARGETS_FILE": str(nasa_targets(tmp_path)),
    }
    done = forescale("run", "--once", env=env, cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout == ""
    error = next(line for line in done.stderr.splitlines() if line.startswith("shop/nasa: error:"))
    assert "needs kubernetes.enabled (FORESCALE_KUBERNETES__ENABLED=true)" in error
    assert "--dry-run" in error and "mode: ForecastOnly" in error
    assert "--kubeconfig" not in done.stderr and "--context" not in done.stderr

    # ForecastOnly needs no actuator either: it is planned and published, nothing written.
    forecast_only = {**env, "FORESCALE_CONTROLLER__TARGETS_FILE": str(
        nasa_targets(tmp_path, mode="ForecastOnly")
    )}  # fmt: skip
    done = forescale("run", "--once", env=forecast_only, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_run_once_with_an_invalid_target_exits_1_with_the_field_and_json_logs(
    fresh_prometheus: str, tmp_path: Path
) -> None:
    targets = tmp_path / "targets.yaml"
    good = pa_manifest("nasa", "shop", query=NASA_QUERY, capacityPerReplica=5, maxReplicas=200)
    bad = {**good, "metadata": {"name": "broken", "namespace": "shop"},
           "spec": {**good["spec"], "maxReplicas": 0}}  # fmt: skip
    targets.write_text(yaml.safe_dump_all([bad]))
    env = {
        "FORESCALE_PROMETHEUS__URL": fresh_prometheus,
        "FORESCALE_CONTROLLER__TARGETS_FILE": str(targets),
        "FORESCALE_LOG_FORMAT": "json",
    }
    done = forescale("run", "--dry-run", "--once", env=env, cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert "shop/broken: error: " in done.stderr and "spec.maxReplicas" in done.stderr
    logs = [json.loads(line) for line in lines if line.startswith("{")]
    assert logs and {"time", "level", "logger", "message"} <= set(logs[0])
    assert any(e["level"] == "ERROR" and "spec.maxReplicas" in e["message"] for e in logs)
    plain = [line for line in lines if not line.startswith("{")]
    assert all(line.startswith("shop/broken: error: ") for line in plain), plain


@pytest.mark.parametrize(
    ("text", "message"),
    [("# nothing yet\n", "holds no PredictiveAutoscaler document"), ("a: [", "not valid YAML")],
)
def test_run_once_with_an_unusable_targets_file_is_one_line_and_exit_1(
    text: str, message: str, tmp_path: Path
) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(text)
    env = {
        "FORESCALE_PROMETHEUS__URL": "http://127.0.0.1:9",
        "FORESCALE_CONTROLLER__TARGETS_FILE": str(targets),
    }
    done = forescale("run", "--dry-run", "--once", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == "" and done.stderr.startswith("forescale run: error: ")
    assert message in done.stderr and len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_an_asg_target_without_aws_credentials_says_so_once(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump(asg_manifest("fleet", "shop")))
    env = {
        "FORESCALE_PROMETHEUS__URL": "http://127.0.0.1:9",
        "FORESCALE_PROMETHEUS__RETRIES": "0",
        "FORESCALE_CONTROLLER__TARGETS_FILE": str(targets),
    }
    done = forescale("run", "--dry-run", "--once", env=env, cwd=tmp_path)

    assert done.returncode == 1
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("shop/fleet: error:")]
    assert "no AWS credentials found for autoscaling:DescribeAutoScalingGroups" in error
    assert "rejected" not in error and error.count("AWS_PROFILE") == 1
