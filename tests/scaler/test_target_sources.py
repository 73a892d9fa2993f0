"""`CombinedTargets`: the cluster's objects and a targets file's documents as one source."""

from __future__ import annotations

import logging

import pytest

from forescale.scaler.controller.targets import StaticTargets
from forescale.scaler.domain import TargetName
from forescale.scaler.target_sources import CombinedTargets
from tests.scaler.controller.world import spec


def test_both_sources_run_a_name_in_both_is_the_clusters_and_statuses_go_where_they_live(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cluster = StaticTargets([spec("web"), spec("api")])
    file = StaticTargets([spec("fleet"), spec("api", hpa="api-v2")])
    combined = CombinedTargets(cluster, file)

    with caplog.at_level(logging.ERROR):
        update = combined.poll()

    names = [(str(s.name), s.ref.name) for s in update.targets]
    assert names == [("shop/web", "web"), ("shop/api", "api"), ("shop/fleet", "fleet")]
    assert "shop/api: declared both as PredictiveAutoscaler objects and in the targets file" in (
        caplog.text
    )
    assert combined.write_status(TargetName("shop/fleet"), {"mode": "reactive"})
    assert combined.write_status(TargetName("shop/web"), {"mode": "predictive"})
    assert set(cluster.statuses) == {"shop/web"} and file.statuses == {}

    file.replace([spec("api", hpa="api-v2")])  # the file's own target goes: deleted
    assert [str(s.name) for s in combined.poll().deleted] == ["shop/fleet"]
