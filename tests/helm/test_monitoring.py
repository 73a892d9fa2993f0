"""The chart's alerts fire when they should (promtool's rule unit tests, on synthetic series), the
dashboard's queries parse, and both use only metrics the controller exports (scaler/telemetry)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from forescale.scaler.telemetry import Telemetry
from tests.conftest import require
from tests.helm.chart import CHART, VALUE_SETS, Doc, of_kind, one, render

pytestmark = pytest.mark.helm

SELECTOR = 'job="forescale-api",namespace="forescale"'
DASHBOARD: Doc = json.loads((CHART / "dashboards" / "forescale.json").read_text())


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    require("promtool", found is not None, "install Debian's prometheus (scripts/system-deps.sh)")
    assert found is not None
    return subprocess.run(
        [found, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def rule_groups(docs: tuple[Doc, ...]) -> list[Doc]:
    return one(docs, "PrometheusRule")["spec"]["groups"]  # type: ignore[no-any-return]


def alert_test(name: str, series: dict[str, str], checks: dict[str, list[Doc]]) -> Doc:
    """One promtool test: input ``series`` and, per eval time, the alerts ``name`` must have."""
    return {
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "alert_rule_test": [
            {"eval_time": at, "alertname": name, "exp_alerts": [{"exp_labels": x} for x in exp]}
            for at, exp in checks.items()
        ],
    }


def labels(severity: str, **extra: str) -> Doc:
    return {"job": "forescale-api", "namespace": "forescale", "severity": severity, **extra}


TARGET = "shop/checkout"
ALERT_TESTS = [
    alert_test(  # two replicas export the same mode; one alert per target, after 30 minutes
        "ForescaleTargetStuckReactive",
        {
            f'forescale_mode{{{SELECTOR},pod="a",target="{TARGET}",mode="reactive"}}': "1x60",
            f'forescale_mode{{{SELECTOR},pod="b",target="{TARGET}",mode="reactive"}}': "1x60",
            f'forescale_mode{{{SELECTOR},pod="a",target="shop/cart",mode="reactive"}}': "0x60",
        },
        {"20m": [], "31m": [labels("warning", target=TARGET)]},
    ),
    alert_test(
        "ForescaleForecastErrorHigh",
        {
            f'forescale_forecast_error_ratio{{{SELECTOR},pod="a",target="{TARGET}"}}': "0.55x150",
            f'forescale_forecast_error_ratio{{{SELECTOR},pod="a",target="shop/cart"}}': "0.2x150",
        },
        {"50m": [], "70m": [labels("warning", target=TARGET)]},
    ),
    alert_test(  # cycles every minute until minute 10, then none: 5 intervals = 300 s
        "ForescaleCycleFailing",
        {f'forescale_last_cycle_timestamp_seconds{{{SELECTOR},pod="a"}}': "0+60x10 600x30"},
        {"14m": [], "20m": [labels("critical")]},
    ),
    alert_test(  # not scraped at all is a failure too
        "ForescaleCycleFailing",
        {f'forescale_leader{{{SELECTOR},pod="a"}}': "1x10"},
        {"5m": [labels("critical")]},
    ),
    alert_test(
        "ForescaleLeaderMissing",
        {
            f'forescale_leader{{{SELECTOR},pod="a"}}': "1x5 0x20",
            f'forescale_leader{{{SELECTOR},pod="b"}}': "0x25",
        },
        {"4m": [], "8m": [], "12m": [labels("critical")]},
    ),
    alert_test(
        "ForescaleActuationFailing",
        {
            f'forescale_actuation_errors_total{{{SELECTOR},pod="a",target="{TARGET}",'
            'kind="access_denied"}': "0+1x40",
        },
        {"10m": [], "31m": [labels("warning", target=TARGET, kind="access_denied")]},
    ),
]


def test_alerts_fire_exactly_when_their_conditions_hold(tmp_path: Path) -> None:
    groups = rule_groups(render(VALUE_SETS["prod"]))
    for group in groups:  # annotations are checked by `promtool check rules` below
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
    tests = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": ALERT_TESTS}
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    done = promtool("test", "rules", "tests.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("value_set", ["prod", "ci/monitoring-values.yaml"])
def test_rules_and_their_annotation_templates_are_valid_prometheus_rules(
    value_set: str, tmp_path: Path
) -> None:
    groups = rule_groups(render(VALUE_SETS[value_set]))
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
    done = promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_leader_election_there_is_no_leader_alert() -> None:
    docs = render(VALUE_SETS["dev"], ("prometheusRule.enabled=true",))
    names = {r.get("alert") for g in rule_groups(docs) for r in g["rules"]}
    assert "ForescaleLeaderMissing" not in names and "ForescaleCycleFailing" in names


def dashboard_exprs() -> list[str]:
    def walk(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["expr"]] if isinstance(node.get("expr"), str) else []
            return found + [e for v in node.values() for e in walk(v)]
        if isinstance(node, list):
            return [e for v in node for e in walk(v)]
        return []

    return walk(DASHBOARD["panels"])


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    def concrete(expr: str) -> str:  # what Grafana sends once its variables are filled in
        return (
            expr.replace("$__rate_interval", "2m")
            .replace('"$job"', '".+"')
            .replace('"$target"', '"shop/checkout"')
        )

    rules = [
        {"record": f"dashboard:query_{i}", "expr": concrete(e)}
        for i, e in enumerate(dashboard_exprs())
    ]
    (tmp_path / "dashboard.yaml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]})
    )
    done = promtool("check", "rules", "dashboard.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "$" not in "".join(r["expr"] for r in rules)


def exported_series_names() -> set[str]:
    suffixes = {"gauge": [""], "counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    families = Telemetry(CollectorRegistry()).registry.collect()
    return {f.name + s for f in families for s in suffixes[f.type]}


def test_alerts_and_dashboard_use_only_metrics_the_controller_exports() -> None:
    rules = rule_groups(render(VALUE_SETS["prod"]))[0]["rules"]
    used = " ".join([r["expr"] for r in rules] + dashboard_exprs())
    referenced = set(re.findall(r"\bforescale_[a-z_]+", used))
    assert referenced - exported_series_names() == set()
    assert len(referenced) >= 12


def test_the_dashboard_shows_load_forecast_band_floor_mode_error_and_cycle_time() -> None:
    used = " ".join(dashboard_exprs())
    for metric in (
        "forescale_load",
        "forescale_forecast_load",
        "forescale_forecast_load_quantile",
        "forescale_floor_replicas",
        "forescale_mode",
        "forescale_forecast_error_ratio",
        "forescale_cycle_duration_seconds_bucket",
    ):
        assert re.search(rf"\b{metric}\b", used), metric
    per_target = next(p for p in DASHBOARD["panels"] if p.get("repeat") == "target")
    band = [
        o
        for o in per_target["fieldConfig"]["overrides"]
        if {"id": "custom.fillBelowTo", "value": "forecast mean"} in o["properties"]
    ]
    assert band, "the quantile line must shade down to the mean: the forecast band"


def test_the_dashboard_ships_as_a_configmap_for_the_grafana_sidecar() -> None:
    docs = render(VALUE_SETS["staging"])
    (config,) = [d for d in of_kind(docs, "ConfigMap") if "dashboard" in d["metadata"]["name"]]
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config["metadata"]["annotations"] == {"grafana_folder": "Autoscaling"}
    assert json.loads(config["data"]["forescale.json"]) == DASHBOARD
    assert not [d for d in render() if "dashboard" in d["metadata"]["name"]]  # off by default
