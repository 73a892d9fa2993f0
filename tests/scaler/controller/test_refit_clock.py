"""Model ages on the monotonic clock (issue 17 item 5's leftover): a wall clock set back two
hours must not postpone the daily refit by two hours, nor one set forward bring it early."""

from __future__ import annotations

from datetime import timedelta

from forescale.scaler.controller.loop import CycleReport
from tests.scaler.controller.world import STEP, World, spec

DAY = timedelta(days=1)


def _refits(reports: list[CycleReport]) -> list[str]:
    return [reason for r in reports if (reason := r.outcomes["shop/web"].refit_reason) is not None]


def test_a_wall_clock_set_back_does_not_postpone_the_daily_refit() -> None:
    world = World([spec()])
    assert _refits(world.run(STEP)) == ["no model yet"]
    world.run(timedelta(hours=1))

    world.clock.jump(-timedelta(hours=2))  # an NTP step back: wall time says 22 h at the end
    refits = _refits(world.run(DAY - timedelta(hours=1)))  # the last cycle: a day after the fit

    assert len(refits) == 1 and refits[0].startswith("model is 1d"), refits


def test_a_wall_clock_set_forward_does_not_bring_the_refit_early() -> None:
    world = World([spec()])
    world.run(STEP)

    world.clock.jump(timedelta(hours=3))
    assert _refits(world.run(DAY - timedelta(hours=2))) == []  # 22 h on the monotonic clock
    assert _refits(world.run(timedelta(hours=2) + STEP))  # due once a day has really passed
