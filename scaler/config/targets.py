"""Target specs: one schema for the `PredictiveAutoscaler` custom resource and the YAML file.

A targets file is a multi-document YAML of the same objects ``kubectl apply`` would take, so a spec
moves between "outside a cluster" and "in a cluster" unchanged::

    apiVersion: forescale.io/v1alpha1
    kind: PredictiveAutoscaler
    metadata: {name: checkout, namespace: shop}
    spec:
      target: {hpa: {name: checkout}}          # or {asg: {name: web, region: eu-west-1}}
      query: sum(rate(http_requests_total{service="checkout"}[1m]))
      capacityPerReplica: 100                   # load one replica serves at 100 %
      targetUtilization: 0.8
      minReplicas: 2
      maxReplicas: 50
      leadTime: 5m
      quantile: 0.9
      tuning: Tuned                             # Fixed (default), Tuned or Disabled
      hpaTarget: Apply                          # write the tuned HPA target (default Recommend)
      scheduledFloors:
        - {name: black-friday, minReplicas: 40,
           start: 2026-11-27T00:00:00Z, end: 2026-11-28T00:00:00Z}
        - {name: mornings, minReplicas: 10, days: [Mon, Tue, Wed, Thu, Fri],
           startTime: "08:00", endTime: "10:00", timezone: Europe/Berlin}
      events:                                   # known events: scale the forecast, set floors
        - {name: christmas, date: 2026-12-25, timezone: Europe/Berlin, multiplier: 0.4}
        - {name: launch, start: 2026-10-01T16:00:00Z, end: 2026-10-01T20:00:00Z,
           multiplier: 3, minReplicas: 20}

Pydantic validates at this boundary only and converts to the frozen domain objects; every error
names the object and the field (``shop/checkout: spec.maxReplicas: ...``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from forescale.scaler.config.calendar import EventModel, ScheduledFloorModel
from forescale.scaler.config.calendar import SpecModel as _Model
from forescale.scaler.domain import (
    AsgRef,
    HpaRef,
    ScalingPolicy,
    TargetName,
    TargetRef,
    TargetSpec,
)
from forescale.scaler.errors import ConfigError
from forescale.scaler.tuning.objective import Objective, ObjectiveError
from forescale.scaler.units import parse_duration

__all__ = [
    "API_VERSION",
    "EventModel",
    "ScheduledFloorModel",
    "yaml_problem",
    "KIND",
    "TargetDocument",
    "load_targets_file",
    "parse_target",
    "parse_targets_yaml",
]

API_VERSION = "forescale.io/v1alpha1"
KIND = "PredictiveAutoscaler"


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"give a duration with a unit, e.g. '{value}s' or '5m', not {value}")
    return parse_duration(str(value))


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class HpaTarget(_Model):
    name: str = Field(min_length=1, max_length=253)
    namespace: str | None = None
    """Defaults to the PredictiveAutoscaler's namespace."""


class AsgTarget(_Model):
    name: str = Field(min_length=1, max_length=255)
    region: str = Field(min_length=1)
    role_arn: str | None = Field(default=None, alias="roleArn")
    publish_schedule: bool = Field(default=False, alias="publishSchedule")
    """Also publish the next hours' floors as the group's scheduled actions, so it pre-scales
    even while the controller is down (replaced every 15 minutes, removed on release)."""


class TargetRefModel(_Model):
    hpa: HpaTarget | None = None
    asg: AsgTarget | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TargetRefModel:
        if (self.hpa is None) == (self.asg is None):
            raise ValueError("name exactly one of target.hpa or target.asg")
        return self


class TargetSpecModel(_Model):
    """``spec`` of a PredictiveAutoscaler (camelCase, as in the CRD)."""

    target: TargetRefModel
    query: str = Field(min_length=1)
    history_query: str | None = Field(default=None, alias="historyQuery")
    capacity_per_replica: float = Field(alias="capacityPerReplica", gt=0)
    target_utilization: float = Field(default=0.8, alias="targetUtilization", gt=0, le=1)
    min_replicas: int = Field(default=1, alias="minReplicas", ge=0)
    max_replicas: int = Field(alias="maxReplicas", ge=1)
    lead_time: Duration | None = Field(default=None, alias="leadTime")
    """Defaults to 5m for HPAs and to the group's instance warm-up for ASGs."""
    quantile: float = Field(default=0.9, gt=0, lt=1)
    interval: Duration = Field(default=timedelta(minutes=1))
    step: Duration = Field(default=timedelta(minutes=1))
    history: Duration = Field(default=timedelta(days=28))
    model: str = Field(default="auto", min_length=1)
    mode: Literal["Auto", "ForecastOnly"] = "Auto"
    objective: str = "same-as-hpa"
    """What self-tuning must keep: ``same-as-hpa`` or ``max-unserved:P%`` (cost is minimised)."""
    tuning: Literal["Fixed", "Tuned", "Disabled"] = "Fixed"
    """``Fixed``: tune the floor on the target's own history and turn it off where forecasting
    does not pay; ``Tuned``: also recommend the HPA's target utilisation; ``Disabled``: as given
    (not ``Off``, which YAML reads as false)."""
    hpa_target: Literal["Recommend", "Apply"] = Field(default="Recommend", alias="hpaTarget")
    """``Recommend``: the tuned HPA target utilisation is shown (status, API); ``Apply``: it is
    written to the HPA's metric (an ASG's target-tracking policy), the user's own target kept
    in an annotation (a tag) and restored wherever a floor is. Needs ``tuning: Tuned``."""
    hpa_target_metric: str | None = Field(default=None, alias="hpaTargetMetric", min_length=1)
    """The HPA metric the load measures (``cpu``, a Pods/Object/External metric's name) or the
    group's target-tracking policy, when there are several."""
    scheduled_floors: list[ScheduledFloorModel] = Field(
        default_factory=list, alias="scheduledFloors"
    )
    events: list[EventModel] = Field(default_factory=list, max_length=500)

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: str) -> str:
        try:
            return Objective.parse(value).to_text()
        except ObjectiveError as e:
            raise ValueError(str(e)) from None

    @field_validator("hpa_target")
    @classmethod
    def _hpa_target(cls, value: str, info: ValidationInfo) -> str:
        tuning = info.data.get("tuning", "Fixed")
        if value == "Apply" and tuning != "Tuned":
            raise ValueError(
                f"Apply writes the target utilisation that tuning: Tuned chooses; with tuning: "
                f"{tuning} there is none to write (set tuning: Tuned, or hpaTarget: Recommend)"
            )
        return value

    @model_validator(mode="after")
    def _bounds(self) -> TargetSpecModel:
        if self.max_replicas < self.min_replicas:
            raise ValueError(
                f"maxReplicas ({self.max_replicas}) must be >= minReplicas ({self.min_replicas})"
            )
        if self.step > self.interval:
            raise ValueError("step must not be longer than interval")
        return self


_TUNING: dict[str, Literal["fixed", "tuned"] | None] = {
    "Fixed": "fixed",
    "Tuned": "tuned",
    "Disabled": None,
}


class Metadata(_Model):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)
    name: str = Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    namespace: str = "default"


class TargetDocument(_Model):
    """A whole PredictiveAutoscaler object (status ignored on input)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
    api_version: Literal["forescale.io/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["PredictiveAutoscaler"]
    metadata: Metadata
    spec: TargetSpecModel

    def to_domain(self, *, default_lead_time: timedelta | None = None) -> TargetSpec:
        spec, meta = self.spec, self.metadata
        ref: TargetRef
        if spec.target.hpa is not None:
            ref = HpaRef(
                namespace=spec.target.hpa.namespace or meta.namespace, name=spec.target.hpa.name
            )
        else:
            assert spec.target.asg is not None
            ref = AsgRef(
                name=spec.target.asg.name,
                region=spec.target.asg.region,
                role_arn=spec.target.asg.role_arn,
            )
        lead = spec.lead_time or default_lead_time or timedelta(minutes=5)
        policy = ScalingPolicy(
            capacity_per_replica=spec.capacity_per_replica,
            target_utilization=spec.target_utilization,
            min_replicas=spec.min_replicas,
            max_replicas=spec.max_replicas,
            lead_time=lead,
            quantile=spec.quantile,
            interval=spec.interval,
            scheduled_floors=(
                *(f.to_domain() for f in spec.scheduled_floors),
                *(floor for e in spec.events if (floor := e.floor()) is not None),
            ),
        )
        return TargetSpec(
            name=TargetName(f"{meta.namespace}/{meta.name}"),
            ref=ref,
            query=spec.query,
            history_query=spec.history_query,
            policy=policy,
            model=spec.model,
            forecast_only=spec.mode == "ForecastOnly",
            step=spec.step,
            history=spec.history,
            events=tuple(e.to_domain() for e in spec.events),
            publish_schedule=spec.target.asg is not None and spec.target.asg.publish_schedule,
            default_lead_time=spec.lead_time is None and default_lead_time is None,
            objective=Objective.parse(spec.objective),
            tuning=_TUNING[spec.tuning],
            hpa_target="apply" if spec.hpa_target == "Apply" else "recommend",
            hpa_target_metric=spec.hpa_target_metric,
        )


def parse_target(document: Any, *, source: str = "<input>") -> TargetDocument:
    """Validate one object; `ConfigError` names the object and every bad field."""
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping (a PredictiveAutoscaler object)")
    meta = document.get("metadata") or {}
    who = (
        f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"
        if isinstance(meta, dict)
        else "?"
    )
    try:
        return TargetDocument.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(object)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{source}: {who}: {problems}") from None


def parse_targets_yaml(text: str, *, source: str = "<input>") -> list[TargetDocument]:
    """All PredictiveAutoscaler documents of a (multi-document) YAML text."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {yaml_problem(exc)}") from None
    targets = [parse_target(d, source=source) for d in documents]
    names = [t.metadata.namespace + "/" + t.metadata.name for t in targets]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{source}: duplicate target name(s): {', '.join(dupes)}")
    return targets


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error on one line: ``line 2, column 1: expected the node content, ...``
    (PyYAML's own text spans several lines and quotes the source)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"


def load_targets_file(path: str | Path) -> list[TargetDocument]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read targets file {path}: {exc.strerror}") from None
    return parse_targets_yaml(text, source=str(path))
