"""The planner turns a forecast into a floor safely and explains every step."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from forescale.models.base import Forecast
from forescale.scaler.domain import Mode, ScalingPolicy, ScheduledFloor, TargetName
from forescale.scaler.planning.hysteresis import FloorHysteresis
from forescale.scaler.planning.planner import PlanInputs, plan

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
POLICY = ScalingPolicy(
    capacity_per_replica=100.0,
    target_utilization=0.8,
    min_replicas=2,
    max_replicas=50,
    lead_time=timedelta(minutes=5),
    interval=timedelta(minutes=1),
    quantile=0.9,
)


def _forecast(values: list[float], *, start: datetime = NOW) -> Forecast:
    index = pd.date_range(start + timedelta(minutes=1), periods=len(values), freq="1min")
    arr = np.asarray(values, dtype=float)
    return Forecast(index=index, mean=arr * 0.9, quantiles={0.9: arr}, model="test")


def _inputs(forecast: Forecast | None, **kw: object) -> PlanInputs:
    base: dict[str, object] = {
        "target": TargetName("shop/web"),
        "policy": POLICY,
        "now": NOW,
        "mode": Mode.PREDICTIVE,
        "mode_reason": "ok",
        "reactive": 3,
        "forecast": forecast,
    }
    base.update(kw)
    return PlanInputs(**base)  # type: ignore[arg-type]


def test_the_floor_covers_the_quantile_peak_of_the_lead_time_window() -> None:
    # p90 at 14:06 (= now + lead + interval) is 1,130: 1130 / (100 x 0.8) = 14.1 -> 15
    result = plan(_inputs(_forecast([100, 100, 100, 100, 100, 1130])))
    assert result.floor == 15 and result.predictive == 15
    assert result.desired == 15
    assert "floor 15 because the p90 forecast for 14:05-14:06 peaks at 1,130" in result.explain()
    assert "reactive says 3" in result.explain()


def test_the_floor_holds_what_is_needed_before_a_replacement_could_start() -> None:
    # A peak at 14:02 needs 10 replicas; the later window only 2. Dropping to 2 now would leave
    # the 14:02 peak unserved (replicas started now are ready at 14:05).
    result = plan(_inputs(_forecast([100, 800, 100, 100, 100, 150])))
    assert result.floor == 10
    assert any(s.name == "hold" for s in result.steps)


def test_the_expected_replicas_are_never_below_the_reactive_recommendation() -> None:
    result = plan(_inputs(_forecast([100] * 6), reactive=9))
    assert result.floor == 2 and result.desired == 9
    assert "reactive 9 is above the floor 2" in result.explain()


def test_bounds_and_the_objects_own_maximum_always_hold() -> None:
    result = plan(_inputs(_forecast([100_000] * 6), object_max=30))
    assert result.floor == 30
    assert "clamped" in result.explain()
    low = plan(_inputs(_forecast([0.0] * 6), reactive=0))
    assert low.floor == 2 and low.desired == 2


def test_reactive_mode_sets_no_forecast_floor_but_honours_scheduled_floors() -> None:
    sale = ScheduledFloor(
        name="sale", min_replicas=20, start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=1)
    )
    policy = ScalingPolicy(**{**_policy_kwargs(), "scheduled_floors": (sale,)})
    reactive = plan(
        _inputs(_forecast([5000] * 6), mode=Mode.REACTIVE, mode_reason="no data", policy=policy)
    )
    assert reactive.predictive is None and reactive.floor == 20 and reactive.scheduled == 20
    assert "scheduled floor 'sale' asks for 20" in reactive.explain()
    plain = plan(_inputs(_forecast([5000] * 6), mode=Mode.REACTIVE, mode_reason="no data"))
    assert plain.floor is None and plain.desired == 3


def test_degraded_mode_may_lower_but_not_raise_the_floor() -> None:
    up = plan(
        _inputs(_forecast([2000] * 6), mode=Mode.DEGRADED, mode_reason="stale", previous_floor=8)
    )
    assert up.floor == 8
    down = plan(
        _inputs(_forecast([200] * 6), mode=Mode.DEGRADED, mode_reason="stale", previous_floor=8)
    )
    assert down.floor == 3


def test_a_recently_sized_higher_floor_is_kept_until_its_window_passes() -> None:
    result = plan(_inputs(_forecast([200] * 6), recent_floor=12))
    assert result.floor == 12 and result.sized == 3
    assert "keeping 12" in result.explain()


def test_a_floor_held_by_the_dead_band_says_why_it_stayed() -> None:
    # The p90 peak 1,100 asks for 14 replicas; the floor is 15 and 14 is within the band of
    # max(1, 10 % of 15) = 1.5 replicas: the floor stays at 15.
    hysteresis = FloorHysteresis()
    result = plan(_inputs(_forecast([1100] * 6), previous_floor=15, hysteresis=hysteresis))
    assert (result.floor, result.proposed, result.desired) == (15, 14, 15)
    step = result.steps[-2]  # before "reactive"
    assert (step.name, step.replicas) == ("hysteresis", 15)
    assert step.reason == (
        "keeping 15: the forecast asks for 14, within the dead band of 1.5 replicas; a change "
        "that small is written once it has held for 1h"
    )
    # Floor 30 (band 3): asking for 27-29 for the whole hour lowers it to the greatest of those.
    held = plan(_inputs(
        _forecast([2150] * 6), previous_floor=30, hysteresis=hysteresis,
        recent_proposals=(28, 29, 28), proposals_persisted=True,
    ))  # fmt: skip
    assert (held.floor, held.proposed) == (29, 27)
    why = "lowering only to 29: for 1h every forecast asked for fewer than 30 replicas, now 27"
    assert why in held.explain()
    # Beyond the band (1,000 asks for 13, 2 below 15): written at once, nothing to explain.
    far = plan(_inputs(_forecast([1000] * 6), previous_floor=15, hysteresis=hysteresis))
    assert far.floor == 13 and all(s.name != "hysteresis" for s in far.steps)


def test_hysteresis_never_holds_the_floor_below_an_active_scheduled_floor() -> None:
    sale = ScheduledFloor(
        name="sale", min_replicas=11, start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=1)
    )
    policy = dataclasses.replace(POLICY, scheduled_floors=(sale,))
    result = plan(_inputs(
        _forecast([100] * 6), policy=policy, previous_floor=10, hysteresis=FloorHysteresis(),
    ))  # fmt: skip
    assert result.floor == 11  # 11 is within the raising band of 10, but the schedule asks


def test_no_forecast_means_no_predictive_floor() -> None:
    assert plan(_inputs(None)).floor is None
    past = _forecast([900] * 6, start=NOW - timedelta(hours=2))  # ends before the window
    assert plan(_inputs(past)).floor is None


def _policy_kwargs() -> dict[str, object]:
    return {
        "capacity_per_replica": 100.0,
        "target_utilization": 0.8,
        "min_replicas": 2,
        "max_replicas": 50,
        "lead_time": timedelta(minutes=5),
        "interval": timedelta(minutes=1),
        "quantile": 0.9,
    }


paths = st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False), min_size=6, max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    values=paths,
    reactive=st.integers(min_value=0, max_value=200),
    object_max=st.one_of(st.none(), st.integers(min_value=1, max_value=80)),
    mode=st.sampled_from(list(Mode)),
    previous=st.one_of(st.none(), st.integers(0, 60)),
)
def test_the_plan_is_always_within_bounds_and_never_below_reactive(
    values: list[float], reactive: int, object_max: int | None, mode: Mode, previous: int | None
) -> None:
    result = plan(
        _inputs(
            _forecast(values),
            reactive=reactive,
            object_max=object_max,
            mode=mode,
            previous_floor=previous,
            hysteresis=FloorHysteresis(),
        )
    )
    upper = 50 if object_max is None else min(50, object_max)
    lower = min(2, upper)
    assert lower <= result.desired <= upper
    assert result.desired >= min(reactive, upper)
    if result.floor is not None:
        assert lower <= result.floor <= upper
        assert result.desired >= result.floor


@settings(max_examples=200, deadline=None)
@given(values=paths, factor=st.floats(min_value=1.0, max_value=10.0))
def test_a_higher_forecast_never_lowers_the_floor(values: list[float], factor: float) -> None:
    low = plan(_inputs(_forecast(values)))
    high = plan(_inputs(_forecast([v * factor for v in values])))
    assert (high.floor or 0) >= (low.floor or 0)
