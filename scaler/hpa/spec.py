"""An HPA's ``spec.behavior`` as written (YAML or the API's JSON) into an `HpaBehavior`.

Both the controller (reading the HPA object) and ``forescale simulate``/``tune``
(``--hpa-behavior FILE.yaml``) replay the user's own HPA, so both go through this one reader.
It applies the API server's defaulting (``GenerateHPAScale{Up,Down}Rules``: a direction left out,
or a field left out of a direction, takes the autoscaling/v2 default) and its validation limits,
and every error names the field as the manifest spells it (``scaleDown.policies[0].periodSeconds``)
so a user can find the line to fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from forescale.scaler.errors import ConfigError
from forescale.scaler.hpa.behavior import (
    HpaBehavior,
    PolicyType,
    ScalingPolicyRule,
    ScalingRules,
    SelectPolicy,
)

__all__ = ["parse_behavior"]

_RULE_FIELDS = ("stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance")
_POLICY_FIELDS = ("type", "value", "periodSeconds")
_QUANTITY = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(m?)$")


def parse_behavior(raw: object, *, where: str = "behavior") -> HpaBehavior:
    """``raw`` (a mapping with ``scaleUp``/``scaleDown``) as the HPA controller would run it;
    `ConfigError` naming the field (prefixed by ``where``) when Kubernetes would reject it."""
    spec = _mapping(raw, where)
    _known(spec, ("scaleUp", "scaleDown"), where)
    up = _rules(spec.get("scaleUp"), ScalingRules.default_scale_up(), f"{where}.scaleUp")
    down = _rules(spec.get("scaleDown"), ScalingRules.default_scale_down(), f"{where}.scaleDown")
    return HpaBehavior(scale_up=up, scale_down=down)


def _rules(raw: object, default: ScalingRules, where: str) -> ScalingRules:
    """copyHPAScalingRules: each field set replaces the default's."""
    if raw is None:
        return default
    spec = _mapping(raw, where)
    _known(spec, _RULE_FIELDS, where)
    window = default.stabilization_window
    if spec.get("stabilizationWindowSeconds") is not None:
        seconds = _int(spec["stabilizationWindowSeconds"], f"{where}.stabilizationWindowSeconds",
                       low=0, high=3600)  # fmt: skip
        window = timedelta(seconds=seconds)
    select = default.select_policy
    if spec.get("selectPolicy") is not None:
        select = cast(SelectPolicy, _choice(spec["selectPolicy"], f"{where}.selectPolicy",
                                            ("Max", "Min", "Disabled")))  # fmt: skip
    policies = default.policies
    if spec.get("policies") is not None:
        items = spec["policies"]
        if not isinstance(items, list) or not items:
            raise ConfigError(f"{where}.policies: must be a list of at least one policy "
                              "(Kubernetes rejects none), e.g. [{type: Percent, value: 100, "
                              "periodSeconds: 15}]")  # fmt: skip
        policies = tuple(_policy(p, f"{where}.policies[{i}]") for i, p in enumerate(items))
    tolerance = default.tolerance
    if spec.get("tolerance") is not None:
        tolerance = _quantity(spec["tolerance"], f"{where}.tolerance")
    return ScalingRules(policies=policies, stabilization_window=window, select_policy=select,
                        tolerance=tolerance)  # fmt: skip


def _policy(raw: object, where: str) -> ScalingPolicyRule:
    spec = _mapping(raw, where)
    _known(spec, _POLICY_FIELDS, where)
    for name in _POLICY_FIELDS:
        if spec.get(name) is None:
            raise ConfigError(f"{where}.{name}: required (a policy needs type, value and "
                              "periodSeconds)")  # fmt: skip
    kind = cast(PolicyType, _choice(spec["type"], f"{where}.type", ("Pods", "Percent")))
    value = _int(spec["value"], f"{where}.value", low=1, high=None)
    period = _int(spec["periodSeconds"], f"{where}.periodSeconds", low=1, high=1800)
    return ScalingPolicyRule(type=kind, value=value, period=timedelta(seconds=period))


def _mapping(raw: object, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a mapping, got {type(raw).__name__} {raw!r}")
    return cast(Mapping[str, Any], raw)


def _known(spec: Mapping[str, Any], fields: tuple[str, ...], where: str) -> None:
    for key in spec:
        if key not in fields:
            raise ConfigError(f"{where}.{key}: unknown field; expected one of {', '.join(fields)}")


def _int(raw: object, where: str, *, low: int, high: int | None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ConfigError(f"{where}: must be a whole number, got {raw!r}")
    if raw < low or (high is not None and raw > high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ConfigError(f"{where}: must be {bounds} (Kubernetes API limit), got {raw}")
    return raw


def _choice(raw: object, where: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ConfigError(f"{where}: must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _quantity(raw: object, where: str) -> float:
    """A Kubernetes quantity >= 0: ``0.05``, ``"0.05"`` or ``"50m"``."""
    value: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str) and (match := _QUANTITY.match(raw.strip())):
        value = float(match.group(1)) / (1000.0 if match.group(2) else 1.0)
    if value is None or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{where}: must be a quantity >= 0 such as 0.05 or 50m, got {raw!r}")
    return value
