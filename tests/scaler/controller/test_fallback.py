"""A metrics outage: predictive -> degraded -> reactive (floor released), then recovery."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from forescale.scaler.controller.loop import CycleReport
from forescale.scaler.domain import Mode, TargetName
from forescale.scaler.telemetry import Telemetry
from tests.scaler.controller.world import HPA_MIN, STEP, World, at, settings, spec

FAILURES, RECOVERY = 3, 4
FRESH = 3
"""Cycles a failing source goes unnoticed: data counts as stale only once the newest sample is
older than two steps plus the interval (3 x 5 min here)."""


def mode(report: CycleReport) -> Mode:
    return report.outcomes["shop/web"].decision.plan.mode


def test_a_metrics_outage_degrades_then_falls_back_to_the_users_floor_then_recovers() -> None:
    world = World(
        [spec()],
        control=settings(failure_threshold=FAILURES, recovery_threshold=RECOVERY),
        start=at(11.5),
    )
    world.run_until(at(12.5))  # the afternoon peak is building: the floor is well up
    raised = world.floor()
    assert raised > HPA_MIN + 5

    world.source.fail_next = FRESH + FAILURES + 2
    outage = world.run(STEP * (FRESH + FAILURES + 2))

    assert [mode(r) for r in outage] == (
        [Mode.PREDICTIVE] * FRESH + [Mode.DEGRADED] * (FAILURES - 1) + [Mode.REACTIVE] * 3
    )
    trusted = outage[FRESH - 1].outcomes["shop/web"].decision.plan.floor
    degraded = [r.outcomes["shop/web"].decision.plan for r in outage[FRESH:]]
    assert degraded[0].mode_reason == "stale or missing data: newest sample at 12:25"
    assert trusted is not None  # doubtful forecasts may not raise the last trusted floor:
    assert all(p.floor is None or p.floor <= trusted for p in degraded)
    assert world.floor() == HPA_MIN  # released to the user's own minReplicas...
    assert world.actuator.objects["hpa/shop/web"].baseline_min_replicas is None  # ...for good
    last = world.store.decisions("shop/web", start=at(12.5), end=world.clock.now())[-1]
    assert (
        last.floor is None and last.error == "metrics: injected outage: metrics backend unreachable"
    )

    recovery = world.run(STEP * RECOVERY)

    assert [mode(r) for r in recovery] == [Mode.REACTIVE] * (RECOVERY - 1) + [Mode.PREDICTIVE]
    assert recovery[-1].outcomes["shop/web"].decision.plan.mode_reason == (
        f"recovered after {RECOVERY} healthy cycles"
    )
    assert world.floor() > HPA_MIN + 5  # predictive again: the floor is back ahead of the peak


def test_while_degraded_the_last_trusted_floor_is_kept_until_the_fallback() -> None:
    """Starts early enough for live calibration to be on (it is what cuts the forecast)."""
    world = World([spec()], control=settings(failure_threshold=FAILURES), start=at(8))
    world.run_until(at(12.5))
    world.source.fail_next = FRESH + FAILURES

    outage = world.run(STEP * (FRESH + FAILURES - 1))  # up to the last degraded cycle

    assert mode(outage[-1]) is Mode.DEGRADED
    assert all(r.outcomes["shop/web"].decision.plan.floor is not None for r in outage)
    assert world.floor() > HPA_MIN + 5


def test_condition_transition_times_move_only_when_the_condition_changes() -> None:
    """``lastTransitionTime`` is when a condition flipped (what `kubectl describe` and alerts
    read), not the time of the latest status write."""

    def predictive(world: World) -> dict[str, str]:
        conditions = world.static.statuses["shop/web"]["conditions"]  # type: ignore[index]
        return next(c for c in conditions if c["type"] == "Predictive")

    world = World(
        [spec()],
        control=settings(failure_threshold=FAILURES, recovery_threshold=RECOVERY),
        start=at(11.5),
    )
    world.run_until(at(12))
    first = predictive(world)
    world.run_until(at(12.5))
    assert predictive(world)["status"] == "True"
    assert predictive(world)["lastTransitionTime"] == first["lastTransitionTime"]

    world.source.fail_next = FRESH + FAILURES + 2
    world.run(STEP * (FRESH + FAILURES + 2))
    fell_back = predictive(world)
    assert fell_back["status"] == "False"
    assert fell_back["lastTransitionTime"] > first["lastTransitionTime"]
    world.run(STEP)
    assert predictive(world)["lastTransitionTime"] == fell_back["lastTransitionTime"]


def test_targets_waiting_for_their_first_fit_go_predictive_as_soon_as_it_lands() -> None:
    """One fit per cycle for three targets: each is predictive the cycle its model arrives, not
    after the recovery count (a restart with many targets must not hold floors back for long)."""
    from dataclasses import replace

    world = World(
        [spec("web"), spec("api"), spec("search")],
        control=replace(settings(recovery_threshold=RECOVERY), max_refits_per_cycle=1),
        start=at(12),
    )
    reports = world.run(STEP * 3)

    modes = [[r.outcomes[f"shop/{n}"].decision.plan.mode for r in reports] for n in
             ("web", "api", "search")]  # fmt: skip
    assert sorted(modes) == sorted([
        [Mode.PREDICTIVE] * 3,
        [Mode.REACTIVE, Mode.PREDICTIVE, Mode.PREDICTIVE],
        [Mode.REACTIVE, Mode.REACTIVE, Mode.PREDICTIVE],
    ])  # fmt: skip


def test_a_target_whose_cycle_raises_falls_back_after_the_threshold_and_gives_its_floor_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any exception while deciding for a target (here its model raising what no model should)
    is a troubled cycle for that target: degraded, then reactive with its floor given back after
    the failure threshold, shown in its status and in ``forescale_mode``; the other target goes
    on. (It used to be logged and nothing else: the target kept its mode and floor for ever.)"""
    telemetry = Telemetry(CollectorRegistry())
    world = World(
        [spec("web"), spec("api")],
        control=settings(failure_threshold=FAILURES),
        start=at(11.5),
        telemetry=telemetry,
    )
    world.run_until(at(12.5))
    assert world.floor("web") > HPA_MIN + 5 and world.floor("api") > HPA_MIN + 5
    model = world.controller.runtimes[TargetName("shop/web")].model

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model is broken")

    monkeypatch.setattr(model, "predict", broken)
    monkeypatch.setattr(model, "predict_recent", broken)  # the cycle's array path
    reports = world.run(STEP * FAILURES)

    assert all(r.errors == {"shop/web": "RuntimeError: the model is broken"} for r in reports)
    web = world.view.target("shop/web")
    assert (web.mode, web.floor) == ("reactive", None)
    assert web.mode_reason == "cycle failed: RuntimeError: the model is broken (3 cycles in a row)"
    assert world.floor("web") == HPA_MIN  # the user's own floor is back
    assert world.floor("api") > HPA_MIN + 5  # the other target is untouched
    gauge = telemetry.registry.get_sample_value
    assert gauge("forescale_mode", {"target": "shop/web", "mode": "reactive"}) == 1
    assert gauge("forescale_mode", {"target": "shop/web", "mode": "predictive"}) == 0
    assert gauge("forescale_floor", {"target": "shop/web", "source": "predictive"}) is None
    status = world.static.statuses[TargetName("shop/web")]
    assert status["mode"] == "reactive" and status["floor"] is None
