"""A simulated day in virtual time: the controller raises the floor ahead of the daily peak."""

from __future__ import annotations

from datetime import datetime, timedelta

from forescale.scaler.domain import Mode
from forescale.scaler.planning.hysteresis import FloorHysteresis
from tests.scaler.controller.world import (
    BASE,
    CAPACITY,
    HPA_MIN,
    LEAD,
    PEAK,
    PEAK_HOUR,
    World,
    at,
    needed,
    settings,
    spec,
)

WEB = "hpa/shop/web"


def ready_at(world: World, moment: datetime) -> int:
    """Replicas ready at ``moment``: those requested over the whole start-up time before it."""
    requested = world.cluster.workloads[WEB].requested
    return min(n for t, n in requested if moment - LEAD <= t <= moment)


def first_floor_of_at_least(world: World, replicas: int) -> datetime:
    return next(t for t, floors in world.floors if floors[WEB] >= replicas)


def test_over_a_simulated_day_the_floor_rises_a_lead_time_before_the_daily_peak() -> None:
    world = World([spec()])

    world.run(timedelta(days=1))

    peak = needed(BASE + PEAK)
    assert first_floor_of_at_least(world, peak) <= at(PEAK_HOUR) - LEAD
    assert ready_at(world, at(PEAK_HOUR)) >= peak  # the peak is served when it arrives
    assert world.floor() == needed(BASE)  # and the floor came back down after it
    modes = {report.outcomes["shop/web"].decision.plan.mode for report in world.run(LEAD)}
    assert modes == {Mode.PREDICTIVE}


def test_the_hpa_alone_is_late_for_the_same_peak() -> None:
    """The yardstick for the test above: nothing written, the HPA reacts only once load is
    there, and its new pods are not ready for the peak."""
    world = World([spec(forecast_only=True)], start=at(PEAK_HOUR - 2))

    world.run_until(at(PEAK_HOUR) + LEAD)

    assert world.floor() == HPA_MIN and world.actuator.writes == []
    assert ready_at(world, at(PEAK_HOUR)) < needed(BASE + PEAK)


def test_no_write_while_the_plan_is_unchanged() -> None:
    world = World([spec()])
    world.run_until(at(2))  # floor settled on the quiet night-time load
    writes = len(world.actuator.writes)

    reports = world.run(timedelta(hours=4))

    assert len(world.actuator.writes) == writes
    assert {r.outcomes["shop/web"].actuation.action for r in reports} == {"noop"}  # type: ignore[union-attr]
    assert world.floor() == needed(BASE)


def test_with_floor_hysteresis_the_day_takes_half_the_writes_and_the_peak_is_still_served() -> None:
    plain = World([spec()])
    damped = World([spec()], control=settings(hysteresis=FloorHysteresis()))

    plain.run(timedelta(days=1))
    damped.run(timedelta(days=1))

    assert 2 * len(damped.actuator.writes) <= len(plain.actuator.writes)
    ready = ready_at(damped, at(PEAK_HOUR))
    assert ready * CAPACITY >= BASE + PEAK  # served at the peak...
    assert ready * 1.15 >= needed(BASE + PEAK)  # ...the floor within one raising band of the plan
    assert damped.floor() == needed(BASE)  # and it came all the way back down
