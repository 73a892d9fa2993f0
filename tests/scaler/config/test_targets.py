"""Target specs parse from YAML/CR objects into domain objects, and bad specs say what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forescale.scaler.config import load_targets_file, parse_targets_yaml
from forescale.scaler.domain import AsgRef, HpaRef, TargetSpec
from forescale.scaler.errors import ConfigError

GOOD = """
apiVersion: forescale.io/v1alpha1
kind: PredictiveAutoscaler
metadata: {name: checkout, namespace: shop}
spec:
  target: {hpa: {name: checkout-hpa}}
  query: sum(rate(http_requests_total{service="checkout"}[1m]))
  capacityPerReplica: 100
  maxReplicas: 50
  leadTime: 3m
  scheduledFloors:
    - {name: sale, minReplicas: 40, start: 2026-11-27T00:00:00Z, end: 2026-11-28T00:00:00Z}
    - {name: mornings, minReplicas: 10, days: [Mon, Fri], startTime: "08:00", endTime: "10:00",
       timezone: Europe/Berlin}
---
apiVersion: forescale.io/v1alpha1
kind: PredictiveAutoscaler
metadata: {name: web, namespace: shop}
spec:
  target: {asg: {name: web-asg, region: eu-west-1}}
  query: sum(rate(nginx_requests_total[1m]))
  capacityPerReplica: 500
  minReplicas: 2
  maxReplicas: 20
  mode: ForecastOnly
"""


def test_a_multi_document_file_gives_one_domain_target_per_object() -> None:
    docs = parse_targets_yaml(GOOD)
    hpa, asg = (d.to_domain() for d in docs)
    assert hpa.name == "shop/checkout"
    assert hpa.ref == HpaRef(namespace="shop", name="checkout-hpa")
    assert hpa.policy.lead_time == timedelta(minutes=3)
    assert hpa.policy.target_utilization == 0.8 and hpa.policy.quantile == 0.9
    assert asg.ref == AsgRef(name="web-asg", region="eu-west-1")
    assert asg.forecast_only and not hpa.forecast_only


def test_scheduled_floors_are_active_only_inside_their_windows() -> None:
    sale, mornings = parse_targets_yaml(GOOD)[0].to_domain().policy.scheduled_floors
    assert sale.is_active(datetime(2026, 11, 27, 12, tzinfo=UTC))
    assert not sale.is_active(datetime(2026, 11, 28, 0, tzinfo=UTC))
    # Monday 2026-11-23 08:30 in Berlin is 07:30 UTC (CET = UTC+1).
    assert mornings.is_active(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    assert not mornings.is_active(datetime(2026, 11, 24, 7, 30, tzinfo=UTC))  # Tuesday


def test_an_asg_target_defaults_its_lead_time_to_the_given_warm_up() -> None:
    asg = parse_targets_yaml(GOOD)[1].to_domain(default_lead_time=timedelta(minutes=7))
    assert asg.policy.lead_time == timedelta(minutes=7)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("maxReplicas: 50", "maxReplicas"),  # removed below: required field missing
        ("capacityPerReplica: 100", "capacityPerReplica"),
        ("leadTime: 3m", "leadTime"),
    ],
)
def test_a_bad_field_is_named_with_the_object(patch: str, message: str) -> None:
    broken = GOOD.split("---")[0]
    replacement = {
        "maxReplicas: 50": "",
        "capacityPerReplica: 100": "capacityPerReplica: -1",
        "leadTime: 3m": "leadTime: 180",
    }[patch]
    with pytest.raises(ConfigError) as err:
        parse_targets_yaml(broken.replace(patch, replacement), source="targets.yaml")
    assert "targets.yaml: shop/checkout" in str(err.value)
    assert message in str(err.value)


def test_min_above_max_and_unknown_fields_are_refused() -> None:
    broken = GOOD.split("---")[0].replace("maxReplicas: 50", "maxReplicas: 50\n  minReplicas: 60")
    with pytest.raises(ConfigError, match="minReplicas"):
        parse_targets_yaml(broken)
    with pytest.raises(ConfigError, match="targetCPU"):
        parse_targets_yaml(
            GOOD.split("---")[0].replace("maxReplicas: 50", "maxReplicas: 50\n  targetCPU: 3")
        )


def test_duplicate_names_and_broken_yaml_are_refused(tmp_path: Path) -> None:
    first = GOOD.split("---")[0]
    with pytest.raises(ConfigError, match="duplicate"):
        parse_targets_yaml(first + "\n---\n" + first)
    bad = tmp_path / "t.yaml"
    bad.write_text("spec: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_targets_file(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_targets_file(tmp_path / "missing.yaml")


def test_self_tuning_defaults_to_fixed_with_the_hpas_service_and_can_be_set_or_refused() -> None:
    from forescale.scaler.tuning.objective import Objective

    hpa = parse_targets_yaml(GOOD)[0].to_domain()
    assert hpa.tuning == "fixed" and hpa.objective == Objective()
    first = GOOD.split("---")[0]
    tuned = parse_targets_yaml(
        first.replace(
            "leadTime: 3m", "leadTime: 3m\n  tuning: Tuned\n  objective: max-unserved:0.1%"
        )
    )[0].to_domain()
    assert tuned.tuning == "tuned" and tuned.objective == Objective(max_unserved_pct=0.1)
    off = parse_targets_yaml(first.replace("leadTime: 3m", "leadTime: 3m\n  tuning: Disabled"))
    assert off[0].to_domain().tuning is None
    for patch, field in (("objective: cheapest", "objective"), ("tuning: Always", "tuning"),
                         ("objective: max-unserved:150%", "objective")):  # fmt: skip
        with pytest.raises(ConfigError) as err:
            parse_targets_yaml(first.replace("leadTime: 3m", f"leadTime: 3m\n  {patch}"))
        assert f"spec.{field}" in str(err.value) and "shop/checkout" in str(err.value)


def test_the_tuned_hpa_target_is_a_recommendation_unless_applied_with_tuned_tuning() -> None:
    first = GOOD.split("---")[0]

    def parsed(extra: str) -> TargetSpec:
        text = first.replace("leadTime: 3m", f"leadTime: 3m\n  {extra}")
        return parse_targets_yaml(text)[0].to_domain()

    assert parsed("tuning: Tuned").hpa_target == "recommend"
    applied = parsed("tuning: Tuned\n  hpaTarget: Apply\n  hpaTargetMetric: cpu")
    assert (applied.hpa_target, applied.hpa_target_metric) == ("apply", "cpu")
    for extra in ("hpaTarget: Apply", "tuning: Fixed\n  hpaTarget: Apply",
                  "tuning: Disabled\n  hpaTarget: Apply"):  # fmt: skip
        with pytest.raises(ConfigError) as err:
            parsed(extra)
        message = str(err.value)
        assert "shop/checkout: spec.hpaTarget: " in message and "tuning: Tuned" in message
    for extra, field in (
        ("hpaTarget: Always", "hpaTarget"),
        ('hpaTargetMetric: ""', "hpaTargetMetric"),
    ):
        with pytest.raises(ConfigError, match=f"spec.{field}"):
            parsed(f"tuning: Tuned\n  {extra}")
