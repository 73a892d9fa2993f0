"""ASG targets with publishSchedule carry the coming floors as scheduled actions."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from forescale.models.datasets import synthetic_traffic
from forescale.scaler.actuators.memory import MemoryActuator
from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.targets import parse_targets_yaml
from forescale.scaler.controller.loop import Controller
from forescale.scaler.controller.targets import StaticTargets
from forescale.scaler.domain import AsgRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.metrics.memory import FrameSource

REF = AsgRef(name="batch", region="eu-west-1")


def _controller(publish: bool) -> tuple[Controller, MemoryActuator, FrameSource, VirtualClock]:
    y = synthetic_traffic(days=4, freq="1min", seed=3, spikes=0, outages=0)
    clock = VirtualClock(y.index[0].to_pydatetime() + timedelta(days=3))
    source = FrameSource({"q": y}, now=clock.now)
    actuator = MemoryActuator()
    actuator.add(REF, min_replicas=2, max_replicas=60)
    spec = TargetSpec(
        name=TargetName("ops/batch"), ref=REF, query="q", model="ridge",
        policy=ScalingPolicy(capacity_per_replica=10.0, min_replicas=2, max_replicas=60),
        publish_schedule=publish, tuning=None,  # about schedules, not whether forecasting pays
    )  # fmt: skip
    ctl = Controller(targets=StaticTargets([spec]), source=source,
                     actuators={"asg": actuator}, clock=clock)  # fmt: skip
    return ctl, actuator, source, clock


def _run(ctl: Controller, clock: VirtualClock, minutes: int) -> None:
    for _ in range(minutes):
        ctl.run_once()
        clock.advance(timedelta(minutes=1))


def test_a_predictive_group_carries_the_coming_hours_as_scheduled_floors() -> None:
    ctl, actuator, _, clock = _controller(publish=True)
    _run(ctl, clock, 20)
    schedule = actuator.schedules[str(REF)]
    assert schedule, "nothing published"
    times = [at for at, _ in schedule]
    assert times == sorted(times) and times[0] > clock.now() - timedelta(minutes=20)
    assert times[-1] - times[0] >= timedelta(hours=2)  # hours ahead, in 15-minute buckets
    assert all((t - times[0]) % timedelta(minutes=15) == timedelta(0) for t in times)
    assert all(2 <= floor <= 60 for _, floor in schedule)
    assert len({floor for _, floor in schedule}) > 1  # it follows the daily shape


def test_the_schedule_is_cleared_when_the_target_falls_back_to_reactive() -> None:
    ctl, actuator, source, clock = _controller(publish=True)
    _run(ctl, clock, 10)
    assert str(REF) in actuator.schedules
    source.fail_next = 10_000  # the metrics backend goes away
    _run(ctl, clock, 10)
    assert ctl.runtimes[TargetName("ops/batch")].last.decision.plan.mode.value == "reactive"
    assert str(REF) not in actuator.schedules


def test_no_schedule_without_publish_schedule_and_the_spec_field_parses() -> None:
    ctl, actuator, _, clock = _controller(publish=False)
    _run(ctl, clock, 5)
    assert actuator.schedules == {}
    doc = parse_targets_yaml("""
apiVersion: forescale.io/v1alpha1
kind: PredictiveAutoscaler
metadata: {name: batch, namespace: ops}
spec:
  target: {asg: {name: batch, region: eu-west-1, publishSchedule: true}}
  query: q
  capacityPerReplica: 10
  maxReplicas: 60
""")[0]
    assert doc.to_domain().publish_schedule


def test_floors_are_the_highest_in_each_bucket() -> None:
    from forescale.models.base import Forecast
    from forescale.scaler.controller.schedule import floors_from_forecast

    idx = pd.date_range("2026-01-01T00:01Z", periods=40, freq="1min")
    values = [80.0] * 10 + [400.0] + [80.0] * 29  # one high minute in the first bucket
    fc = Forecast(
        index=idx,
        mean=pd.Series(values).to_numpy(),
        quantiles={0.9: pd.Series(values).to_numpy()},
        model="t",
    )
    policy = ScalingPolicy(capacity_per_replica=10.0, max_replicas=100)
    floors = floors_from_forecast(fc, policy=policy, bucket=timedelta(minutes=15))
    assert floors[0][1] == 50  # 400 / (10 x 0.8)
    assert floors[1][1] == 10


def test_each_target_decides_at_its_own_interval() -> None:
    ctl, _, _, clock = _controller(publish=False)
    slow = TargetSpec(
        name=TargetName("ops/slow"), ref=REF, query="q", model="ridge",
        policy=ScalingPolicy(capacity_per_replica=10.0, min_replicas=2, max_replicas=60,
                             interval=timedelta(minutes=5)),
    )  # fmt: skip
    ctl.targets = StaticTargets([slow])
    decided = []
    for _ in range(15):
        report = ctl.run_once()
        decided.append("ops/slow" in report.outcomes)
        clock.advance(timedelta(minutes=1))
    assert decided == [True, False, False, False, False] * 3
