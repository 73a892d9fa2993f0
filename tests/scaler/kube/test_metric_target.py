"""Which HPA metric's target is scaled, and how: units and scale as the user wrote them."""

from __future__ import annotations

from typing import Any

import pytest

from forescale.scaler.kube.metric_target import (
    MetricTarget,
    find_metric,
    format_quantity,
    parse_quantity,
    scaled_value,
    with_value,
)


def resource(name: str, **target: Any) -> dict[str, Any]:
    return {"type": "Resource", "resource": {"name": name, "target": target}}


def named(kind: str, name: str, **target: Any) -> dict[str, Any]:
    return {"type": kind, kind.lower(): {"metric": {"name": name}, "target": target}}


CPU = resource("cpu", type="Utilization", averageUtilization=80)
RPS = named("Pods", "requests_per_second", type="AverageValue", averageValue="80")
QUEUE = named("External", "queue_depth", type="Value", value="1500m")


@pytest.mark.parametrize(
    ("metric", "field", "value", "scaled"),
    [
        (CPU, "averageUtilization", "80", "90"),
        (RPS, "averageValue", "80", "90"),
        (QUEUE, "value", "1500m", "1688m"),  # 1.6875: thousandths, never a float string
        (
            named("Object", "rps", type="AverageValue", averageValue="2Gi"),
            "averageValue",
            "2Gi",
            "2415919104",
        ),  # fmt: skip
    ],
    ids=["resource utilization", "pods average value", "external value", "object binary unit"],
)
def test_each_kind_of_metric_is_scaled_in_its_own_field_and_unit(
    metric: dict[str, Any], field: str, value: str, scaled: str
) -> None:
    found = find_metric([metric], None)
    assert isinstance(found, MetricTarget)
    assert (found.field, found.value) == (field, value)
    assert scaled_value(found, 0.9 / 0.8) == scaled


def test_the_only_metric_or_the_named_one_else_a_reason_naming_the_field() -> None:
    found = find_metric([CPU, RPS], "requests_per_second")
    assert isinstance(found, MetricTarget) and found.index == 1
    why = find_metric([CPU, RPS], None)
    assert isinstance(why, str) and "spec.hpaTargetMetric" in why and "cpu" in why
    assert "no single metric named 'memory'" in str(find_metric([CPU], "memory"))
    assert "no metric with a target" in str(find_metric([], None))


def test_only_the_chosen_metric_changes_in_a_copy() -> None:
    metrics = [CPU, RPS]
    found = find_metric(metrics, "cpu")
    assert isinstance(found, MetricTarget)
    written = with_value(metrics, found, "90")
    assert written[0]["resource"]["target"]["averageUtilization"] == 90
    assert written[1] == RPS and CPU["resource"]["target"]["averageUtilization"] == 80


def test_quantities_round_trip_and_junk_is_refused() -> None:
    assert parse_quantity("500m") == 0.5 and parse_quantity("1.5k") == 1500
    assert parse_quantity("1Ki") == 1024 and parse_quantity("1e3") == 1000
    assert format_quantity(90.0) == "90" and format_quantity(0.25) == "250m"
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity("eighty")
    restored = MetricTarget.from_json(
        MetricTarget(0, "Pods", "rps", "averageValue", "80").to_json()
    )
    assert restored == MetricTarget(-1, "Pods", "rps", "averageValue", "80")
    assert MetricTarget.from_json("{not json") is None
