"""`LiveView`, what the SRE API shows, over a running controller in virtual time."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from forescale.scaler.controller.view import UnknownTarget
from forescale.scaler.errors import ForecastUnavailable
from tests.scaler.controller.world import (
    HPA_MIN,
    LEAD,
    START,
    STEP,
    World,
    at,
    daily_load,
    spec,
)

NOON = at(12)


@pytest.fixture
def world() -> World:
    """Two targets an hour into a noisy afternoon (so quantile bands differ from the mean)."""
    noisy = {"load:web": daily_load(noise=60.0), "load:api": daily_load(noise=60.0, seed=1)}
    world = World([spec("web"), spec("api", forecast_only=True)], loads=noisy, start=NOON)
    world.run(timedelta(hours=1))
    return world


def test_readiness_is_false_until_the_first_cycle_has_loaded_targets_and_models() -> None:
    world = World([spec()], start=NOON)
    assert not world.view.ready and world.view.targets() == []

    world.tick()

    assert world.view.ready
    assert world.controller.runtimes["shop/web"].model is not None


def test_targets_describe_each_target_as_the_controller_sees_it(world: World) -> None:
    web, api = world.view.targets()

    assert (web.name, web.ref, api.name, api.forecast_only) == (
        "shop/web", "hpa/shop/web", "shop/api", True,
    )  # fmt: skip
    last = world.controller.runtimes["shop/web"].last
    assert last is not None
    assert web.mode == "predictive" and web.floor == world.floor("web") == last.decision.plan.floor
    assert web.current_replicas == last.capacity.current_replicas
    assert web.last_decision_at == world.clock.now() - STEP
    assert (web.model, web.quantile, web.lead_time_seconds) == ("seasonal_naive", 0.9, 900.0)
    assert web.training_end is not None and web.training_end <= NOON
    assert world.view.target("shop/api") == api and world.floor("api") == HPA_MIN


def test_every_method_refuses_an_unknown_target_by_name(world: World) -> None:
    view = world.view
    calls = [
        lambda: view.target("shop/nope"),
        lambda: view.forecast("shop/nope", horizon_steps=12),
        lambda: view.dry_run_plan("shop/nope"),
        lambda: view.retrain("shop/nope"),
        lambda: view.models("shop/nope"),
        lambda: view.set_paused("shop/nope", True),
    ]
    for call in calls:
        with pytest.raises(UnknownTarget, match="no target named 'shop/nope'"):
            call()


def test_a_forecast_covers_the_asked_horizon_with_the_asked_quantile(world: World) -> None:
    runtime = world.controller.runtimes["shop/web"]
    newest = runtime.history.index[-1]

    fc = world.view.forecast("shop/web", horizon_steps=24, quantile=0.95)

    assert (fc.target, fc.quantile, fc.model, fc.issued_at) == (
        "shop/web", 0.95, "seasonal_naive", world.clock.now(),
    )  # fmt: skip
    assert [p.at for p in fc.points] == [(newest + STEP * i).to_pydatetime() for i in range(1, 25)]
    yesterday = daily_load(noise=60.0).reindex([p.at - timedelta(days=1) for p in fc.points])
    assert np.allclose([p.mean for p in fc.points], yesterday.to_numpy())  # same time yesterday
    assert all(p.lower is not None and p.upper is not None for p in fc.points)
    assert all(p.lower < p.mean < p.upper for p in fc.points)  # type: ignore[operator]
    narrower = world.view.forecast("shop/web", horizon_steps=24, quantile=0.6)
    assert all(n.upper < w.upper for n, w in zip(narrower.points, fc.points, strict=True))  # type: ignore[operator]


def test_a_forecast_is_computed_once_per_status_and_anew_after_each_change(world: World) -> None:
    runtime = world.controller.runtimes["shop/web"]
    first = world.view.forecast("shop/web", horizon_steps=24, quantile=0.95)

    world.clock.advance(timedelta(seconds=30))  # a dashboard polling within the cycle
    assert world.view.forecast("shop/web", horizon_steps=24, quantile=0.95) is first
    other = world.view.forecast("shop/web", horizon_steps=12, quantile=0.95)
    assert other is not first and len(other.points) == 12  # its own horizon, its own entry

    world.tick()  # a cycle: new samples, a new status
    after = world.view.forecast("shop/web", horizon_steps=24, quantile=0.95)
    assert after is not first and after.issued_at == world.clock.now()
    assert after.points[0].at == (runtime.history.index[-1] + STEP).to_pydatetime()
    assert after.points[0].at == first.points[0].at + STEP  # from the newer history

    world.view.retrain("shop/web")  # a retrain changes the status too
    assert world.view.forecast("shop/web", horizon_steps=24, quantile=0.95) is not after


def test_a_forecast_is_unavailable_until_a_model_is_fitted_and_says_why() -> None:
    world = World([spec()], loads={"load:web": daily_load().loc[START:]}, start=NOON)
    world.tick()

    with pytest.raises(ForecastUnavailable, match="shop/web has no fitted model yet .not enough"):
        world.view.forecast("shop/web", horizon_steps=12)


def test_a_dry_run_plan_answers_for_another_quantile_and_writes_nothing(world: World) -> None:
    last = world.controller.runtimes["shop/web"].last
    assert last is not None
    writes = len(world.actuator.writes)

    as_running = world.view.dry_run_plan("shop/web")
    cautious = world.view.dry_run_plan("shop/web", quantile=0.99)
    bold = world.view.dry_run_plan("shop/web", quantile=0.5)

    assert as_running.floor == last.decision.plan.floor and as_running.quantile == 0.9
    assert cautious.quantile == 0.99 and bold.quantile == 0.5
    assert bold.floor is not None and as_running.floor is not None and cautious.floor is not None
    assert bold.floor < as_running.floor < cautious.floor
    assert len(world.actuator.writes) == writes


def test_a_dry_run_plan_for_a_target_that_never_completed_a_cycle_is_unavailable() -> None:
    world = World([spec("ghost")], missing=["ghost"], start=NOON)  # its HPA does not exist
    world.tick()

    with pytest.raises(ForecastUnavailable, match="shop/ghost has not completed a cycle yet"):
        world.view.dry_run_plan("shop/ghost")


def test_retrain_refits_now_and_the_next_cycles_forecast_with_the_new_model(world: World) -> None:
    runtime = world.controller.runtimes["shop/web"]
    before = runtime.model

    info = world.view.retrain("shop/web")

    now = world.clock.now()
    current = runtime.model_card()
    assert current is not None and current[1].created_at == now and current[0] is not before
    assert info.version == f"live-{now:%Y%m%dT%H%M%SZ}" and info.promoted
    assert info.card["model"] == "seasonal_naive"
    report = world.tick()
    assert report.outcomes["shop/web"].decision.plan.model == "seasonal_naive"
    assert [m.version for m in world.view.models("shop/web")] == [info.version]


def test_retrain_without_enough_history_says_what_is_missing() -> None:
    world = World([spec()], loads={"load:web": daily_load().loc[START:]}, start=NOON)
    world.tick()

    with pytest.raises(ForecastUnavailable, match="retrain failed: not enough history"):
        world.view.retrain("shop/web")


def test_a_paused_target_is_shown_paused_and_resumes(world: World) -> None:
    assert world.view.set_paused("shop/web", True).paused
    world.tick()
    assert world.floor("web") == HPA_MIN and world.view.target("shop/web").paused

    assert not world.view.set_paused("shop/web", False).paused
    world.run(LEAD)
    assert world.floor("web") > HPA_MIN
