"""Scheduled floors are honoured; a paused target gives its floor back and is left alone."""

from __future__ import annotations

from datetime import timedelta

from forescale.scaler.domain import Mode, ScheduledFloor
from tests.scaler.controller.world import (
    BASE,
    HPA_MIN,
    PEAK,
    PEAK_HOUR,
    START,
    World,
    at,
    daily_load,
    needed,
    spec,
)

SALE = ScheduledFloor(name="spring-sale", min_replicas=12, start=at(1), end=at(2))


def test_a_scheduled_floor_holds_for_its_window_even_before_any_forecast_exists() -> None:
    cold = daily_load().loc[START:]  # no history before START: nothing to forecast from
    world = World([spec(scheduled=[SALE])], loads={"load:web": cold})

    before = world.run_until(at(1))
    during = world.run_until(at(2))
    world.run(timedelta(minutes=10))

    assert world.floor() == HPA_MIN  # released when the window closed
    assert {r.outcomes["shop/web"].decision.plan.mode for r in before + during} == {Mode.REACTIVE}
    assert {r.outcomes["shop/web"].decision.plan.floor for r in before} == {None}
    plans = [r.outcomes["shop/web"].decision.plan for r in during]
    assert {p.floor for p in plans} == {SALE.min_replicas}
    assert "scheduled floor 'spring-sale' asks for 12" in plans[0].explain()
    assert [(w.action, w.floor_after) for w in world.actuator.writes] == [
        ("raise", SALE.min_replicas),
        ("restore", HPA_MIN),
    ]


def test_a_weekly_scheduled_floor_lifts_a_lower_forecast_floor() -> None:
    mornings = ScheduledFloor(
        name="mornings", min_replicas=10, days=frozenset({0}), start_time=at(8).time(),
        end_time=at(9).time(), timezone="Europe/Berlin",
    )  # fmt: skip
    world = World([spec(scheduled=[mornings])], start=at(5.5))

    world.run_until(at(6.5))  # 07:30 in Berlin: the forecast alone asks for the night's floor
    assert world.floor() == needed(BASE)
    world.run_until(at(7.5))  # 08:30 in Berlin, a Monday

    assert world.floor() == 10
    world.run_until(at(8.5))
    assert world.floor() == needed(BASE)


def test_a_paused_target_gets_its_floor_back_and_is_left_alone_until_resumed() -> None:
    world = World([spec()], start=at(11))
    world.run_until(at(12))
    assert world.floor() > HPA_MIN
    writes = len(world.actuator.writes)

    status = world.view.set_paused("shop/web", True)
    reports = world.run_until(at(PEAK_HOUR))

    assert status.paused and world.view.target("shop/web").paused
    assert world.floor() == HPA_MIN
    assert [w.action for w in world.actuator.writes[writes:]] == ["restore"]
    last = reports[-1].outcomes["shop/web"]
    assert last.dry_run and last.decision.plan.floor == needed(BASE + PEAK)  # still planned

    world.view.set_paused("shop/web", False)
    world.tick()

    assert world.floor() == needed(BASE + PEAK)
