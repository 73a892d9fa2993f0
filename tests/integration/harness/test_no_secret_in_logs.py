"""No credential in any log line at any level: ``forescale --debug run --once`` with DEBUG set,
two Auto Scaling groups on moto signed with an AWS session token, a PostgreSQL URL with a
password, API tokens and a Prometheus bearer token; everything it printed is grepped for each.

Before the logging fix the root logger was set to DEBUG, and botocore printed every signed
request, ``X-Amz-Security-Token`` included (8 times for two groups).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.integration.aws.world import REGION, AwsWorld
from tests.integration.harness.process import ForescaleProcess
from tests.integration.prometheus.server import NASA_QUERY, minute_floor, nasa_family

pytestmark = [pytest.mark.aws, pytest.mark.postgres, pytest.mark.prometheus]

GROUPS = {"web": 2, "batch": 1}  # name -> MinSize


def asg_target(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "forescale.io/v1alpha1",
        "kind": "PredictiveAutoscaler",
        "metadata": {"name": name, "namespace": "fleet"},
        "spec": {
            "target": {"asg": {"name": name, "region": REGION}},
            "query": NASA_QUERY,
            "capacityPerReplica": 5,
            "minReplicas": GROUPS[name],
            "maxReplicas": 200,
            "history": "3d",
            "model": "seasonal_naive",
        },
    }


def test_a_debug_run_prints_no_password_token_or_aws_session_token(
    aws: AwsWorld,
    postgres_url: str,
    prometheus_factory: Callable[..., Any],
    tmp_path: Path,
) -> None:
    family, _ = nasa_family(end=minute_floor(datetime.now(UTC)) - timedelta(minutes=1), days=3)
    prometheus = prometheus_factory(families=[family])
    refs = {n: aws.create_group(n, min_size=f, max_size=200, desired=f) for n, f in GROUPS.items()}
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump_all([asg_target(n) for n in GROUPS]), encoding="utf-8")
    secret = {
        "database password": f"pw-{secrets.token_urlsafe(18)}",
        "AWS secret key": secrets.token_urlsafe(30),
        "AWS session token": f"FQoGZXIvYXdzE{secrets.token_urlsafe(60)}",
        "viewer token": secrets.token_urlsafe(24),
        "operator token": secrets.token_urlsafe(24),
        "Prometheus bearer token": secrets.token_urlsafe(24),
    }
    bearer = tmp_path / "prometheus-token"
    bearer.write_text(secret["Prometheus bearer token"], encoding="utf-8")
    database = postgres_url.replace("@", f":{secret['database password']}@", 1)
    settings = {
        "log_level": "DEBUG",
        "prometheus": {"url": prometheus.url, "bearer_token_file": str(bearer)},
        # Floors from the first forecast (three days are too few to tune on): the writes are
        # what this run must log without a secret.
        "controller": {
            "targets_file": str(targets),
            "recovery_threshold": 1,
            "shadow_start": False,
        },
        "aws": {"endpoint_url": aws.server.url, "max_attempts": 2},
        "api": {"enabled": False},
    }
    env = {
        "AWS_ACCESS_KEY_ID": "ASIAFORESCALETEST01",
        "AWS_SECRET_ACCESS_KEY": secret["AWS secret key"],
        "AWS_SESSION_TOKEN": secret["AWS session token"],
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/forescale-tests",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/forescale-tests",
        "FORESCALE_STORE__URL": database,  # as the chart passes it, from a Secret
        "FORESCALE_API__VIEWER_TOKENS": secret["viewer token"],
        "FORESCALE_API__OPERATOR_TOKENS": secret["operator token"],
    }

    run = ForescaleProcess(tmp_path, settings, env=env, once=True, debug=True)
    code = run.wait(timeout=180)

    printed = run.log() + run.out()
    assert code == 0, printed[-3000:]
    # The run did what the secrets are for, so the scan is not vacuous: signed AWS writes...
    for name, floor in GROUPS.items():
        assert aws.group(refs[name])["MinSize"] > floor, name
    # ...records written with the password, and DEBUG lines from Forescale and libraries.
    with create_engine(postgres_url).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM decisions")).scalar_one() == 2
    assert " INFO forescale.scaler.decisions: " in printed
    for what, value in secret.items():
        assert value not in printed, f"the {what} was printed"
