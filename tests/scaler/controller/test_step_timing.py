"""Every cycle times its phases: the dashboard's step-duration panel has data."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry

from forescale.scaler.telemetry import Telemetry
from tests.scaler.controller.world import World, spec


def test_each_phase_of_each_target_cycle_is_a_step_duration_sample() -> None:
    telemetry = Telemetry(CollectorRegistry())
    world = World([spec("web"), spec("api")], telemetry=telemetry)

    world.run(timedelta(minutes=15))  # three cycles of two targets

    for step in ("gather", "decide", "act"):
        labels = {"step": step}
        count = telemetry.registry.get_sample_value("forescale_step_duration_seconds_count", labels)
        total = telemetry.registry.get_sample_value("forescale_step_duration_seconds_sum", labels)
        assert count == 6, step
        assert total is not None and total > 0, step
