"""Floors nobody claims any more are given back: the "HPA stuck high" failure.

A PredictiveAutoscaler deleted while no Forescale leader runs leaves its HPA with a raised
``minReplicas`` and Forescale's baseline mark. The next leader finds such objects and restores
the user's own floor; it never touches an object a target still names, and it does nothing when
it cannot tell every claim (a failed poll, an invalid object it has never parsed) or is not
allowed to write (follower, dry run).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from forescale.scaler.controller.loop import Controller, ControlSettings
from forescale.scaler.controller.targets import (
    InvalidSpec,
    StaticTargets,
    TargetProvider,
    TargetsUpdate,
)
from forescale.scaler.domain import TargetName, TargetSpec
from forescale.scaler.errors import ScalerError
from tests.scaler.controller.world import HPA_MIN, World, at, settings, spec


class Scripted(StaticTargets):
    """`StaticTargets` that can also report an invalid object, or fail to list."""

    def __init__(self, specs: Sequence[TargetSpec], *, invalid: Sequence[InvalidSpec] = ()):
        super().__init__(specs)
        self.invalid = tuple(invalid)
        self.fail = False

    def poll(self) -> Any:
        if self.fail:
            raise ScalerError("cannot list PredictiveAutoscalers: API server down")
        update: TargetsUpdate = super().poll()
        return TargetsUpdate(
            targets=update.targets, invalid=self.invalid, deleted=update.deleted,
            retargeted=update.retargeted,
        )  # fmt: skip


def both_raised() -> World:
    """Two targets, run to the afternoon peak: both HPAs carry a raised floor and the mark."""
    world = World([spec("web"), spec("api")], start=at(11))
    world.run_until(at(13))
    assert world.floor("web") > HPA_MIN and world.floor("api") > HPA_MIN
    return world


def restart(
    world: World,
    targets: TargetProvider,
    *,
    leader: bool = True,
    control: ControlSettings | None = None,
) -> Controller:
    """A new controller process over the same cluster (the old one is gone without a word)."""
    return Controller(
        targets=targets, source=world.source, actuators={"hpa": world.actuator},
        clock=world.clock, settings=control or settings(), is_leader=lambda: leader,
    )  # fmt: skip


def test_a_new_leader_restores_the_floor_of_an_object_no_target_names_any_more() -> None:
    world = both_raised()
    web_floor, before = world.floor("web"), len(world.actuator.writes)

    restart(world, StaticTargets([spec("web")])).run_once()  # "api" was deleted meanwhile

    assert world.floor("api") == HPA_MIN
    assert world.actuator.objects["hpa/shop/api"].baseline_min_replicas is None
    (restore,) = [w for w in world.actuator.writes[before:] if w.action == "restore"]
    assert restore.target == "hpa/shop/api" and "no PredictiveAutoscaler" in restore.message
    # Still claimed: the new process plans it from its first cycle and never releases it.
    assert world.floor("web") >= web_floor
    assert world.actuator.objects["hpa/shop/web"].baseline_min_replicas == HPA_MIN


def test_a_follower_or_a_dry_run_never_reclaims() -> None:
    world = both_raised()
    raised = world.floor("api")

    restart(world, StaticTargets([spec("web")]), leader=False).run_once()
    restart(world, StaticTargets([spec("web")]), control=settings(dry_run=True)).run_once()

    assert world.floor("api") == raised


def test_nothing_is_reclaimed_while_some_claim_is_unknown() -> None:
    world = both_raised()
    raised = world.floor("api")
    never_parsed = InvalidSpec(name=TargetName("shop/api"), message="quantile: must be < 1")
    targets = Scripted([spec("web")], invalid=[never_parsed])
    controller = restart(world, targets)

    controller.run_once()  # which HPA the invalid object names is unknown: hands off
    assert world.floor("api") == raised

    targets.invalid, targets.fail = (), True
    world.clock.advance(timedelta(hours=2))
    controller.run_once()  # the targets could not be listed: claims unknown again
    assert world.floor("api") == raised

    targets.fail = False
    controller.run_once()
    assert world.floor("api") == HPA_MIN


def test_an_invalid_object_keeps_the_claim_of_its_last_valid_spec() -> None:
    world = both_raised()
    raised = world.floor("api")
    broken = InvalidSpec(
        name=TargetName("shop/api"), message="quantile: must be < 1", last_valid=spec("api")
    )

    restart(world, Scripted([spec("web")], invalid=[broken])).run_once()

    assert world.floor("api") == raised


def test_the_sweep_repeats_on_its_cadence_not_every_cycle() -> None:
    world = both_raised()
    targets = StaticTargets([spec("web")])
    controller = restart(world, targets, control=settings())
    controller.run_once()
    listed = world.actuator.managed

    calls: list[int] = []

    def counting() -> list[Any]:
        calls.append(1)
        return listed()

    world.actuator.managed = counting  # type: ignore[method-assign]
    for _ in range(3):
        world.clock.advance(timedelta(minutes=5))
        controller.run_once()
    assert calls == []
    world.clock.advance(controller.settings.reclaim_every)
    controller.run_once()
    assert calls == [1]


def test_a_failing_sweep_is_logged_and_the_cycle_goes_on() -> None:
    world = both_raised()

    def broken() -> list[Any]:
        raise RuntimeError("unexpected reply")

    world.actuator.managed = broken  # type: ignore[method-assign]
    report = restart(world, StaticTargets([spec("web")])).run_once()

    assert "shop/web" in report.outcomes and report.errors == {}
