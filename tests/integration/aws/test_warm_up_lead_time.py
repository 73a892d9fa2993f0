"""An Auto Scaling group target that gives no ``leadTime`` is sized its group's instance warm-up
ahead, through ``forescale run`` (the console script) against moto's AWS API server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.console import forescale
from tests.integration.aws.world import AwsWorld
from tests.integration.kube.objects import asg_manifest

pytestmark = [pytest.mark.aws]


def test_run_sizes_an_asg_target_its_groups_warm_up_ahead_unless_it_gives_a_lead_time(
    aws: AwsWorld, tmp_path: Path
) -> None:
    web = aws.create_group("web", min_size=1, max_size=10, desired=1, grace_seconds=420)
    aws.create_group("api", min_size=1, max_size=10, desired=1, grace_seconds=420)
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump_all([
        asg_manifest("web", region=web.region, capacityPerReplica=50, maxReplicas=10),
        asg_manifest("api", region=web.region, capacityPerReplica=50, maxReplicas=10,
                     leadTime="3m"),
    ]))  # fmt: skip
    env = {
        "FORESCALE_PROMETHEUS__URL": "http://127.0.0.1:9",  # no load: the lead time is the point
        "FORESCALE_PROMETHEUS__RETRIES": "0",
        "FORESCALE_CONTROLLER__TARGETS_FILE": str(targets),
        "FORESCALE_AWS__ENDPOINT_URL": aws.proxy.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    done = forescale("run", "--dry-run", "--once", env=env, cwd=tmp_path)

    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert set(lines) == {"shop/web", "shop/api"}, done.stderr
    assert ", lead 7m: " in lines["shop/web"]  # HealthCheckGracePeriod 420 s
    assert ", lead 3m: " in lines["shop/api"]  # given: kept
    assert aws.group(web)["MinSize"] == 1  # a dry run writes nothing
