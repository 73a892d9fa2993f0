"""`Telemetry` exposes what the controller decided, on the registry it is given."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from forescale.scaler.domain import Mode
from forescale.scaler.errors import AccessDenied, ActuationConflict, TargetNotFound
from forescale.scaler.telemetry import Telemetry


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry(CollectorRegistry(), error_window=4)


def value(t: Telemetry, name: str, **labels: str) -> float | None:
    return t.registry.get_sample_value(name, labels)


def test_metrics_live_on_the_injected_registry_only() -> None:
    registry = CollectorRegistry()
    Telemetry(registry).record_forecast("web", mean=1.0, quantile=2.0, level=0.9)
    Telemetry(CollectorRegistry()).record_forecast("web", mean=5.0, quantile=6.0, level=0.9)
    assert registry.get_sample_value("forescale_forecast_load", {"target": "web"}) == 1.0


def test_every_metric_name_has_the_forescale_prefix(telemetry: Telemetry) -> None:
    telemetry.record_forecast("web", mean=1, quantile=2, level=0.9)
    telemetry.record_decision("web", mode=Mode.PREDICTIVE, action="raise", floor=3, reactive=2)
    names = {m.name for m in telemetry.registry.collect()}
    assert names and all(n.startswith("forescale_") for n in names)


def test_forecast_records_the_mean_and_the_sized_quantile(telemetry: Telemetry) -> None:
    telemetry.record_forecast("web", mean=120.0, quantile=150.0, level=0.9)
    assert value(telemetry, "forescale_forecast_load", target="web") == 120.0
    assert value(telemetry, "forescale_forecast_load_quantile", target="web", quantile="0.9") == 150
    telemetry.record_forecast("web", mean=1.0, quantile=2.0, level=0.95)  # policy changed
    assert (
        value(telemetry, "forescale_forecast_load_quantile", target="web", quantile="0.9") is None
    )


def test_a_decision_sets_mode_floor_reactive_and_counts_it(telemetry: Telemetry) -> None:
    telemetry.record_decision(
        "web", mode=Mode.PREDICTIVE, action="raise", floor=6, floor_source="predictive", reactive=4
    )
    telemetry.record_decision(
        "web", mode=Mode.PREDICTIVE, action="noop", floor=6, floor_source="predictive", reactive=5
    )
    assert value(telemetry, "forescale_mode", target="web", mode="predictive") == 1
    assert value(telemetry, "forescale_mode", target="web", mode="reactive") == 0
    assert value(telemetry, "forescale_floor_replicas", target="web", source="predictive") == 6
    assert value(telemetry, "forescale_reactive_replicas", target="web") == 5
    counted = "forescale_decisions_total"
    assert value(telemetry, counted, target="web", mode="predictive", action="raise") == 1
    assert value(telemetry, counted, target="web", mode="predictive", action="noop") == 1


def test_a_released_floor_disappears_and_a_new_source_replaces_the_old(
    telemetry: Telemetry,
) -> None:
    telemetry.record_decision("web", mode=Mode.PREDICTIVE, action="raise", floor=6)
    telemetry.record_decision(
        "web", mode=Mode.PREDICTIVE, action="noop", floor=9, floor_source="scheduled"
    )
    assert value(telemetry, "forescale_floor_replicas", target="web", source="predictive") is None
    assert value(telemetry, "forescale_floor_replicas", target="web", source="scheduled") == 9
    telemetry.record_decision("web", mode=Mode.REACTIVE, action="restore", floor=None)
    assert "forescale_floor_replicas{" not in generate_latest(telemetry.registry).decode()
    assert value(telemetry, "forescale_mode", target="web", mode="reactive") == 1


def test_unknown_actions_are_refused_to_keep_label_sets_closed(telemetry: Telemetry) -> None:
    with pytest.raises(ValueError, match="action must be one of"):
        telemetry.record_decision("web", mode=Mode.PREDICTIVE, action="boost", floor=1)  # type: ignore[arg-type]


def test_forecast_error_and_under_forecast_rate_are_rolling(telemetry: Telemetry) -> None:
    # window of 4: actual 100 each time; means 90, 110, 100, 100 -> |e| 10,10,0,0 -> 20/400
    for mean, q in ((90, 95), (110, 120), (100, 99), (100, 120)):
        telemetry.record_outcome("web", forecast_mean=mean, forecast_quantile=q, actual=100)
    assert value(telemetry, "forescale_forecast_error_ratio", target="web") == pytest.approx(0.05)
    assert value(telemetry, "forescale_under_forecast_ratio", target="web") == 0.5
    for _ in range(4):  # the old outcomes roll out of the window
        telemetry.record_outcome("web", forecast_mean=100, forecast_quantile=130, actual=100)
    assert value(telemetry, "forescale_forecast_error_ratio", target="web") == 0.0
    assert value(telemetry, "forescale_under_forecast_ratio", target="web") == 0.0
    assert value(telemetry, "forescale_forecast_outcomes_total", target="web") == 8
    assert value(telemetry, "forescale_under_forecasts_total", target="web") == 2


def test_outcomes_with_missing_load_are_not_scored(telemetry: Telemetry) -> None:
    telemetry.record_outcome("web", forecast_mean=1, forecast_quantile=2, actual=math.nan)
    assert value(telemetry, "forescale_forecast_outcomes_total", target="web") is None


def test_actuation_errors_are_counted_by_kind(telemetry: Telemetry) -> None:
    for error in (ActuationConflict("409"), ActuationConflict("409"), AccessDenied("rbac")):
        telemetry.record_actuation_error("web", error)
    telemetry.record_actuation_error("web", TargetNotFound("gone"))
    telemetry.record_actuation_error("web", RuntimeError("bug"))
    counted = "forescale_actuation_errors_total"
    assert value(telemetry, counted, target="web", kind="conflict") == 2
    assert value(telemetry, counted, target="web", kind="access_denied") == 1
    assert value(telemetry, counted, target="web", kind="not_found") == 1
    assert value(telemetry, counted, target="web", kind="other") == 1


def test_cycle_and_step_durations_are_histograms(telemetry: Telemetry) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    telemetry.record_cycle(seconds=0.3, at=at)
    assert value(telemetry, "forescale_cycle_duration_seconds_count") == 1
    assert value(telemetry, "forescale_cycle_duration_seconds_bucket", le="0.5") == 1
    assert value(telemetry, "forescale_cycle_duration_seconds_bucket", le="0.25") == 0
    assert value(telemetry, "forescale_last_cycle_timestamp_seconds") == at.timestamp()


def test_timed_step_uses_the_injected_timer_and_records_failures_too() -> None:
    ticks = iter([10.0, 10.25])
    telemetry = Telemetry(CollectorRegistry(), timer=lambda: next(ticks))
    with pytest.raises(RuntimeError), telemetry.timed_step("forecast"):
        raise RuntimeError("model crashed")
    assert value(telemetry, "forescale_step_duration_seconds_sum", step="forecast") == 0.25


def test_forget_removes_every_series_of_a_target(telemetry: Telemetry) -> None:
    for target in ("web", "api"):
        telemetry.record_forecast(target, mean=1, quantile=2, level=0.9)
        telemetry.record_decision(target, mode=Mode.DEGRADED, action="lower", floor=2, reactive=1)
        telemetry.record_outcome(target, forecast_mean=1, forecast_quantile=2, actual=1)
        telemetry.record_actuation_error(target, ActuationConflict("409"))
    telemetry.forget("web")
    text = generate_latest(telemetry.registry).decode()
    assert 'target="web"' not in text
    assert 'target="api"' in text


def test_observed_load_is_a_gauge_that_a_missing_sample_clears(telemetry: Telemetry) -> None:
    telemetry.record_load("web", 412.5)
    assert value(telemetry, "forescale_load", target="web") == 412.5
    telemetry.record_load("web", math.nan)
    assert value(telemetry, "forescale_load", target="web") is None


def test_leadership_is_exported_for_the_leader_missing_alert(telemetry: Telemetry) -> None:
    assert value(telemetry, "forescale_leader") == 0  # a replica actuates only once told so
    telemetry.record_leadership(True)
    assert value(telemetry, "forescale_leader") == 1
    telemetry.record_leadership(False)
    assert value(telemetry, "forescale_leader") == 0
