"""Reading an HPA's ``spec.behavior`` as written: the API server's defaults, and errors that name
the field to fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.behavior import HpaBehavior, ScalingPolicyRule, ScalingRules
from forescale.scaler.hpa.spec import parse_behavior


def test_an_empty_behavior_is_the_default_one() -> None:
    assert parse_behavior({}) == HpaBehavior.default()
    assert parse_behavior({"scaleUp": None, "scaleDown": {}}) == HpaBehavior.default()


def test_fields_set_replace_the_defaults_one_by_one() -> None:
    behavior = parse_behavior({
        "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Min",
                      "policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}]},
        "scaleUp": {"tolerance": "50m"},
    })  # fmt: skip
    assert behavior.scale_down == ScalingRules(
        stabilization_window=timedelta(seconds=60), select_policy="Min",
        policies=(ScalingPolicyRule(type="Pods", value=2, period=timedelta(seconds=30)),),
    )  # fmt: skip
    default_up = ScalingRules.default_scale_up()
    assert behavior.scale_up.policies == default_up.policies
    assert behavior.scale_up.stabilization_window == timedelta(0)
    assert behavior.scale_up.tolerance == pytest.approx(0.05)
    assert parse_behavior({"scaleUp": {"tolerance": 0.02}}).scale_up.tolerance == 0.02


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"scaleDwn": {}}, r"behavior\.scaleDwn: unknown field"),
        ({"scaleDown": {"policies": []}}, r"behavior\.scaleDown\.policies: must be a list"),
        ({"scaleDown": {"stabilizationWindowSeconds": 3601}},
         r"scaleDown\.stabilizationWindowSeconds: must be in \[0, 3600\]"),
        ({"scaleDown": {"stabilizationWindowSeconds": "60s"}},
         r"scaleDown\.stabilizationWindowSeconds: must be a whole number"),
        ({"scaleUp": {"selectPolicy": "max"}}, r"scaleUp\.selectPolicy: must be one of Max"),
        ({"scaleUp": {"policies": [{"type": "Pods", "value": 4}]}},
         r"scaleUp\.policies\[0\]\.periodSeconds: required"),
        ({"scaleUp": {"policies": [{"type": "Pod", "value": 4, "periodSeconds": 15}]}},
         r"scaleUp\.policies\[0\]\.type: must be one of Pods, Percent"),
        ({"scaleUp": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}]}},
         r"scaleUp\.policies\[0\]\.value: must be >= 1"),
        ({"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 1801}]}},
         r"scaleUp\.policies\[0\]\.periodSeconds: must be in \[1, 1800\]"),
        ({"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSecond": 15}]}},
         r"scaleUp\.policies\[0\]\.periodSecond: unknown field"),
        ({"scaleUp": {"tolerance": "-0.1"}}, r"scaleUp\.tolerance: must be a quantity >= 0"),
        ({"scaleUp": [1]}, r"behavior\.scaleUp: must be a mapping"),
        ("fast", r"behavior: must be a mapping"),
    ],
)  # fmt: skip
def test_a_behavior_kubernetes_would_reject_is_refused_naming_the_field(
    raw: object, field: str
) -> None:
    with pytest.raises(ConfigError, match=field):
        parse_behavior(raw)
