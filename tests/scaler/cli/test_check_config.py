"""``forescale check-config`` through the console script: every configuration ``run`` would
refuse is refused here too, with exit status 1 and the field or variable named on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.console import forescale

PROMETHEUS = {"FORESCALE_PROMETHEUS__URL": "http://127.0.0.1:9090"}


def pa(name: str, target: dict[str, object], **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "forescale.io/v1alpha1",
        "kind": "PredictiveAutoscaler",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"target": target, "query": "sum(rate(x[1m]))", "capacityPerReplica": 10,
                 "maxReplicas": 20, **spec},
    }  # fmt: skip


@pytest.fixture
def targets(tmp_path: Path) -> Path:
    path = tmp_path / "targets.yaml"
    documents = [
        pa("checkout", {"hpa": {"name": "checkout"}}),
        pa("fleet", {"asg": {"name": "fleet", "region": "eu-west-1"}}),
    ]
    path.write_text(yaml.safe_dump_all(documents))
    return path


def test_a_valid_dry_run_configuration_passes_and_says_what_would_run(
    targets: Path, tmp_path: Path
) -> None:
    env = {**PROMETHEUS, "FORESCALE_CONTROLLER__DRY_RUN": "true"}
    done = forescale("check-config", "--targets", str(targets), env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "settings: ok"
    assert lines[1].startswith("shop/checkout: hpa/shop/checkout, capacity 10/replica")
    assert "lead the group's instance warm-up" in lines[2]  # an ASG target without leadTime


def refused(done: object) -> str:
    """The command failed with status 1 and one error line or more, no traceback."""
    assert getattr(done, "returncode", None) == 1
    err: str = getattr(done, "stderr", "")
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("forescale check-config: error: ") for line in lines)
    return err


@pytest.mark.parametrize(
    ("env", "named"),
    [
        # The lease timings client-go refuses: before, they passed here and failed at run.
        ({"FORESCALE_LEADER_ELECTION__LEASE_DURATION_SECONDS": "5"},
         "lease_duration_seconds (5) must be greater than renew_deadline_seconds (10)"),
        ({"FORESCALE_LEADER_ELECTION__RETRY_PERIOD_SECONDS": "9"},
         "renew_deadline_seconds (10) must be greater than 1.2 x retry_period_seconds (9)"),
        # A token the API would refuse at startup.
        ({"FORESCALE_API__VIEWER_TOKENS": "hunter2"}, "api.viewer_tokens: token #1 is shorter"),
        ({"FORESCALE_STORE__URL": "sqlite://"}, "store.url: an in-memory SQLite database"),
        ({"FORESCALE_STORE__URL": "mysql://db/forescale"}, "store.url: 'mysql://db/forescale'"),
        ({"FORESCALE_STORE__MODELS_URL": "s3://Bad_Bucket/m"}, "not a valid S3 bucket name"),
        ({"FORESCALE_PROMETHEUS__URL": "prometheus:9090"}, "prometheus.url: 'prometheus:9090'"),
        ({"FORESCALE_PROMETHEUS__BEARER_TOKEN_FILE": "/nonexistent/token"},
         "prometheus.bearer_token_file: /nonexistent/token is not found"),
        ({"FORESCALE_API__TLS_CERT_FILE": "/nonexistent/tls.crt"}, "tls_key_file"),
    ],
)  # fmt: skip
def test_settings_run_would_refuse_are_refused_naming_the_field(
    env: dict[str, str], named: str, targets: Path, tmp_path: Path
) -> None:
    done = forescale(
        "check-config", "--targets", str(targets),
        env={**PROMETHEUS, "FORESCALE_CONTROLLER__DRY_RUN": "true", **env}, cwd=tmp_path,
    )  # fmt: skip
    assert named in refused(done)
    assert "hunter2" not in done.stderr  # tokens are never echoed


def test_a_misspelt_group_in_the_environment_is_refused_with_the_setting_meant(
    targets: Path, tmp_path: Path
) -> None:
    env = {
        "FORESCALE_PROMETEUS__URL": "http://127.0.0.1:9090",
        "FORESCALE_CONTROLLER__DRY_RUN": "1",
    }
    done = forescale("check-config", "--targets", str(targets), env=env, cwd=tmp_path)

    err = refused(done)
    assert "FORESCALE_PROMETEUS__URL is not a Forescale setting and is ignored; did you mean " \
        "FORESCALE_PROMETHEUS__URL?" in err  # fmt: skip
    assert "prometheus.url is required" in err  # and what its absence means


def test_kubernetes_service_link_variables_are_not_taken_for_settings(
    targets: Path, tmp_path: Path
) -> None:
    links = {
        "FORESCALE_SERVICE_HOST": "10.0.0.1", "FORESCALE_SERVICE_PORT": "8080",
        "FORESCALE_PORT": "tcp://10.0.0.1:8080", "FORESCALE_PORT_8080_TCP_ADDR": "10.0.0.1",
    }  # fmt: skip
    env = {**PROMETHEUS, "FORESCALE_CONTROLLER__DRY_RUN": "true", **links}
    done = forescale("check-config", "--targets", str(targets), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_an_empty_targets_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "targets.yaml"
    empty.write_text("# nothing yet\n")
    done = forescale("check-config", "--targets", str(empty), env=PROMETHEUS, cwd=tmp_path)
    assert "holds no PredictiveAutoscaler document" in refused(done)


def test_an_hpa_target_without_a_cluster_must_be_a_dry_run_or_forecast_only(
    targets: Path, tmp_path: Path
) -> None:
    done = forescale("check-config", "--targets", str(targets), env=PROMETHEUS, cwd=tmp_path)
    err = refused(done)
    assert "shop/checkout: hpa/shop/checkout can only be planned without kubernetes.enabled" in err
    assert "--dry-run" in err and "mode: ForecastOnly" in err and "shop/fleet" not in err

    forecast_only = tmp_path / "forecast-only.yaml"
    forecast_only.write_text(
        yaml.safe_dump(pa("checkout", {"hpa": {"name": "checkout"}}, mode="ForecastOnly"))
    )
    done = forescale("check-config", "--targets", str(forecast_only), env=PROMETHEUS, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_no_prometheus_and_no_targets_names_both_settings(tmp_path: Path) -> None:
    err = refused(forescale("check-config", cwd=tmp_path))
    assert "prometheus.url is required (FORESCALE_PROMETHEUS__URL)" in err
    assert "no targets: set kubernetes.enabled" in err and "controller.targets_file" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prometheus: [", "is not valid YAML: line 1, column 14: expected the node content"),
        ("- prometheus\n", "must be a mapping of groups"),
        ("prometheus: {urll: x}\n", "prometheus.urll: Extra inputs are not permitted"),
    ],
)
def test_a_broken_settings_file_is_one_line(text: str, message: str, tmp_path: Path) -> None:
    config = tmp_path / "settings.yaml"
    config.write_text(text)
    done = forescale("check-config", "--config", str(config), cwd=tmp_path)
    assert message in refused(done)


def test_kubernetes_without_a_cluster_to_reach_names_the_settings_in_both_commands(
    targets: Path, tmp_path: Path
) -> None:
    env = {**PROMETHEUS, "FORESCALE_KUBERNETES__ENABLED": "true"}  # KUBECONFIG points nowhere
    checked = forescale("check-config", env=env, cwd=tmp_path)
    ran = forescale("run", "--once", env=env, cwd=tmp_path)

    for err in (refused(checked), ran.stderr):
        assert "set kubernetes.kubeconfig (FORESCALE_KUBERNETES__KUBECONFIG)" in err
        assert "--kubeconfig" not in err and "--context" not in err
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
