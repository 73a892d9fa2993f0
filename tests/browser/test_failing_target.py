"""A target whose every cycle fails is marked failing, with its reason, where an SRE looks: the
index and target pages in Chromium, and ``/readyz`` over HTTP.

The real process wiring (`wiring.build`) runs an Auto Scaling group target with no AWS
credentials anywhere (the scenario of a new install without IRSA); its cycles fail on the first
AWS call, as they would in a cluster.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from forescale.scaler.config.settings import ApiSettings, load_settings
from forescale.scaler.wiring import Assembly, build
from forescale.service.main import launch_api
from tests.browser.chromium import colour_count, dump_dom, read_png, screenshot
from tests.integration.kube.objects import asg_manifest

pytestmark = pytest.mark.browser

FAILING = "#b91c1c"
NO_CREDENTIALS = "no AWS credentials found for autoscaling:DescribeAutoScalingGroups"


@pytest.fixture
def failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Assembly, str]]:
    for name in [n for n in os.environ if n.startswith(("AWS_", "FORESCALE_"))]:
        monkeypatch.delenv(name)
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump(asg_manifest("fleet", "shop")))
    settings = load_settings(
        prometheus={"url": "http://127.0.0.1:9", "retries": 0},
        controller={"targets_file": str(targets)},
    )
    assembly = build(settings)
    for _ in range(4):  # past the fallback threshold: the target is reactive, and still failing
        assert "shop/fleet" in assembly.controller.run_once().errors
    api = launch_api(
        view=assembly.view, store=assembly.store, settings=ApiSettings(port=0),
        registry=assembly.registry, clock=assembly.controller.clock,
    )  # fmt: skip
    try:
        yield assembly, api.url
    finally:
        api.stop()
        assembly.close()


def test_the_index_and_target_pages_say_the_target_is_failing_and_why(
    chromium: str, failing: tuple[Assembly, str], tmp_path: Path
) -> None:
    _, url = failing
    index = dump_dom(chromium, f"{url}/")
    assert '<span class="mode failing">failing</span>' in index
    assert "1 of 1 target failing" in index and NO_CREDENTIALS in index

    page = dump_dom(chromium, f"{url}/targets/shop/fleet")
    assert "The last cycle failed: AwsCredentialsError" in page and NO_CREDENTIALS in page
    assert "reactive (the group's own scaling)" in page and "reactive (HPA)" not in page

    pixels = read_png(screenshot(chromium, f"{url}/targets/shop/fleet", tmp_path / "fleet.png",
                                 width=1100, height=500))  # fmt: skip
    assert colour_count(pixels, FAILING) > 200  # the badge and the alert's edge, not hidden


def test_readyz_stays_ready_and_counts_the_failing_targets(failing: tuple[Assembly, str]) -> None:
    _, url = failing
    reply = httpx.get(f"{url}/readyz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ready", "targets": 1, "failing": 1}
