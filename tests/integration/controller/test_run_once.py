"""``forescale run --once``: settings -> `scaler.wiring.build` -> real Prometheus + the Kubernetes
test API server -> one cycle, printed, floor written."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from forescale.scaler.kube import BASELINE_ANNOTATION
from forescale.service.main import main
from tests.integration.controller.cluster import annotations, min_replicas, status
from tests.integration.kube.objects import hpa_manifest, pa_manifest, seed
from tests.integration.kube.server import KubeApiServer
from tests.integration.prometheus.server import NASA_QUERY, minute_floor, nasa_family

pytestmark = [pytest.mark.kube, pytest.mark.prometheus]


def settings_file(tmp_path: Path, *, prometheus: str, kubernetes: str) -> Path:
    path = tmp_path / "settings.yaml"
    settings = {
        "prometheus": {"url": prometheus},
        "kubernetes": {"enabled": True, "host": kubernetes},
        # One cycle can only be predictive if one healthy cycle is enough to trust the model.
        "controller": {"recovery_threshold": 1},
        "api": {"enabled": False},
    }
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def test_run_once_forecasts_from_prometheus_writes_the_floor_and_prints_the_decision(
    kube: KubeApiServer,
    prometheus_factory: Callable[..., Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Fresh data (five days of the NASA trace ending a minute ago), so the cycle trusts it, and
    # the first tuning backtests the last two days on a model fitted on the three before.
    family, _ = nasa_family(end=minute_floor(datetime.now(UTC)) - timedelta(minutes=1), days=5)
    prometheus = prometheus_factory(families=[family])
    seed(kube, hpa_manifest("nasa", "shop", min_replicas=2, max_replicas=200, current_replicas=2))
    seed(kube, pa_manifest(
        "nasa", "shop", query=NASA_QUERY, capacityPerReplica=5, maxReplicas=200, history="5d",
        model="seasonal_naive",
    ))  # fmt: skip
    config = settings_file(tmp_path, prometheus=prometheus.url, kubernetes=kube.url)
    monkeypatch.setenv("FORESCALE_CONFIG", str(config))  # restored after the test

    code = main(["run", "--config", str(config), "--once"])

    out = capsys.readouterr().out
    floor = min_replicas(kube, "nasa")
    assert code == 0
    assert re.fullmatch(
        rf"shop/nasa: predictive, floor {floor}, lead 5m: floor \d+ because the p90 forecast for "
        r"\d\d:\d\d-\d\d:\d\d peaks at [\d,.]+ \(seasonal_naive; .*; reactive says \d+ .*\n",
        out,
    ), out
    assert floor > 2 and annotations(kube, "nasa")[BASELINE_ANNOTATION] == "2"
    assert status(kube, "nasa")["floor"] == floor and status(kube, "nasa")["mode"] == "predictive"
    tuning = status(kube, "nasa")["tuning"]  # tuned at the first fit, not after days in shadow
    assert tuning["predictive"] and "over the last 2 days" in tuning["reason"]
