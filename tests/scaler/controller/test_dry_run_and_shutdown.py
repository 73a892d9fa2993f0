"""Dry run (global, per target, follower) writes nothing; shutdown gives floors back, as leader."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

from forescale.scaler.controller.runtime import CycleOutcome, TargetRuntime
from forescale.scaler.records import DecisionRecord
from tests.scaler.controller.world import (
    BASE,
    HPA_MIN,
    PEAK,
    PEAK_HOUR,
    STEP,
    World,
    at,
    needed,
    settings,
    spec,
)

NOON = at(12)


def test_a_global_dry_run_computes_and_publishes_everything_and_writes_nothing() -> None:
    world = World([spec()], control=settings(dry_run=True), start=NOON)

    reports = world.run_until(at(PEAK_HOUR))

    assert world.actuator.writes == [] and world.floor() == HPA_MIN
    outcome = reports[-1].outcomes["shop/web"]
    floor = outcome.decision.plan.floor
    assert floor is not None and floor >= needed(BASE + PEAK)  # the peak is planned for...
    assert outcome.actuation is not None and outcome.dry_run
    assert (outcome.actuation.action, outcome.actuation.floor_after) == ("raise", floor)
    assert outcome.actuation.dry_run  # ...and what would be written is said, not done
    (record,) = world.store.decisions("shop/web", start=reports[-1].at, end=at(PEAK_HOUR))
    assert (record.floor, record.action, record.dry_run) == (floor, "raise", True)
    assert world.store.forecasts("shop/web", start=at(0), end=at(PEAK_HOUR))
    assert world.static.statuses["shop/web"]["floor"] == floor
    assert world.view.target("shop/web").floor == floor


def test_a_forecast_only_target_writes_nothing_while_the_others_are_actuated() -> None:
    world = World([spec("web"), spec("api", forecast_only=True)], start=NOON)

    reports = world.run_until(at(PEAK_HOUR))

    assert world.floor("web") >= needed(BASE + PEAK)
    assert world.floor("api") == HPA_MIN
    assert {w.target for w in world.actuator.writes} == {"hpa/shop/web"}
    api = reports[-1].outcomes["shop/api"]
    assert api.dry_run and api.decision.plan.floor == world.floor("web")  # same load, same plan
    assert world.view.target("shop/api").forecast_only


def test_switching_a_target_to_forecast_only_gives_its_floor_back_once() -> None:
    world = World([spec()], start=at(11))
    world.run_until(NOON)
    assert world.floor() > HPA_MIN
    writes = len(world.actuator.writes)

    world.static.replace([spec(forecast_only=True)])  # kubectl edit: mode: ForecastOnly
    world.run_until(at(PEAK_HOUR))

    assert world.floor() == HPA_MIN
    assert [w.action for w in world.actuator.writes[writes:]] == ["restore"]


def test_a_follower_computes_the_same_plans_and_writes_nothing() -> None:
    world = World([spec()], leader=False, start=NOON)

    reports = world.run_until(at(PEAK_HOUR))

    assert world.actuator.writes == [] and not reports[-1].leader
    assert reports[-1].outcomes["shop/web"].decision.plan.floor == needed(BASE + PEAK)


def test_shutdown_restores_the_users_floors() -> None:
    world = World([spec("web"), spec("api")], start=NOON)
    world.run_until(at(PEAK_HOUR))
    assert world.floor("web") > HPA_MIN and world.floor("api") > HPA_MIN

    world.controller.shutdown()

    assert (world.floor("web"), world.floor("api")) == (HPA_MIN, HPA_MIN)
    assert [w.action for w in world.actuator.writes[-2:]] == ["restore", "restore"]
    assert all(o.baseline_min_replicas is None for o in world.actuator.objects.values())


def test_shutdown_keeps_floors_when_restoring_is_switched_off() -> None:
    world = World([spec()], control=settings(restore_on_shutdown=False), start=NOON)
    world.run_until(at(PEAK_HOUR))
    raised = world.floor()

    world.controller.shutdown()

    assert world.floor() == raised > HPA_MIN


def test_shutdown_of_a_controller_that_lost_leadership_leaves_the_floors_to_the_new_leader() -> (
    None
):
    world = World([spec()], start=NOON)
    world.run_until(at(PEAK_HOUR))
    raised = world.floor()

    world.leader = False
    world.controller.shutdown()

    assert world.floor() == raised > HPA_MIN


def test_shutdown_of_a_dry_run_controller_writes_nothing_even_over_floors_raised_before() -> None:
    earlier = World([spec()], start=NOON)
    earlier.run_until(at(PEAK_HOUR))  # a previous, actuating process left the floor raised
    raised, writes = earlier.floor(), len(earlier.actuator.writes)
    dry = World(
        [spec()], control=settings(dry_run=True), actuator=earlier.actuator, start=at(PEAK_HOUR)
    )
    dry.tick()

    dry.controller.shutdown()

    assert earlier.floor() == raised and len(earlier.actuator.writes) == writes


def test_a_restarted_controller_still_restores_the_floor_its_predecessor_raised() -> None:
    earlier = World([spec()], start=NOON)
    earlier.run_until(at(PEAK_HOUR))  # then the process is replaced (rolling update)
    restarted = World([spec()], actuator=earlier.actuator, start=at(PEAK_HOUR))
    restarted.tick()

    restarted.controller.shutdown()

    assert earlier.floor() == HPA_MIN
    assert earlier.actuator.writes[-1].action == "restore"


def test_run_forever_ticks_once_per_interval_of_virtual_time_and_restores_floors_on_stop() -> None:
    world = World([spec()], start=at(PEAK_HOUR))
    stop, seen = threading.Event(), []

    def listen(runtime: TargetRuntime, outcome: CycleOutcome, record: DecisionRecord) -> None:
        seen.append(record.at)
        if len(seen) == 6:
            assert world.floor() > HPA_MIN  # actuating while running...
            stop.set()

    world.controller.reporter.on_decision = listen
    world.controller.run_forever(stop)

    assert [b - a for a, b in zip(seen, seen[1:], strict=False)] == [STEP] * 5
    assert world.floor() == HPA_MIN  # ...and the floor given back on the way out


def test_a_target_whose_spec_is_unchanged_keeps_its_runtime_across_polls() -> None:
    world = World([spec()], start=NOON)
    world.run(timedelta(hours=1))
    runtime = world.controller.runtimes["shop/web"]

    world.static.replace([replace(spec())])  # an equal spec, e.g. a re-applied manifest
    world.tick()

    assert world.controller.runtimes["shop/web"] is runtime
