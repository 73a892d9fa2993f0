"""Floor hysteresis: dead bands and persistence, checked by hand (`scaler.planning.hysteresis`)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from forescale.models.base import Forecast
from forescale.scaler.domain import CapacityPlan, HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.planning.hysteresis import FloorHysteresis, Proposals, settle
from forescale.scaler.planning.policy import PolicySettings, TargetPolicy

DEFAULT = FloorHysteresis(
    lower_band=0.10, raise_band=0.15, min_band=1, persistence=timedelta(hours=1)
)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _settle(proposed: int | None, current: int | None, **kw: object) -> int | None:
    options: dict[str, object] = {"recent": [], "persisted": False, "settings": DEFAULT} | kw
    return settle(proposed, current=current, **options).floor  # type: ignore[arg-type]


def test_a_move_within_the_dead_band_waits_and_one_beyond_it_is_written_at_once() -> None:
    # Floor 20: lowering band 10 % = 2 replicas, raising band 15 % = 3 replicas.
    assert _settle(18, 20) == 20  # 2 below: not more than the band
    assert _settle(17, 20) == 17
    assert _settle(23, 20) == 20  # 3 above: not more than the band
    assert _settle(24, 20) == 24
    # Floor 5: both bands are the one-replica minimum (10 % and 15 % of 5 are smaller).
    assert [_settle(p, 5) for p in (3, 4, 6, 7)] == [3, 5, 5, 7]


def test_a_small_move_is_written_once_every_proposal_of_the_persistence_time_was_on_its_side() -> (
    None
):
    settled = settle(22, current=20, recent=[21, 23, 22], persisted=True, settings=DEFAULT)
    assert (settled.floor, settled.persisted) == (21, True)  # the least of the higher ones
    settled = settle(19, current=20, recent=[18, 19, 18], persisted=True, settings=DEFAULT)
    assert (settled.floor, settled.persisted) == (19, True)  # the greatest of the lower ones
    # One proposal back at (or across) the floor, a released one, or too short a run: it waits.
    assert _settle(22, 20, recent=[21, 20, 22], persisted=True) == 20
    assert _settle(19, 20, recent=[18, 21], persisted=True) == 20
    assert _settle(22, 20, recent=[21, None], persisted=True) == 20
    assert _settle(22, 20, recent=[21, 23], persisted=False) == 20


def test_releasing_is_never_delayed_and_a_first_floor_is_written_as_proposed() -> None:
    assert _settle(None, 20) is None
    assert _settle(7, None) == 7
    assert _settle(20, 20) == 20


def test_off_writes_every_change_and_negative_settings_are_refused() -> None:
    off = FloorHysteresis.off()
    assert [_settle(p, 20, settings=off) for p in (19, 21, 20)] == [19, 21, 20]
    with pytest.raises(ValueError, match="bands must not be negative"):
        FloorHysteresis(lower_band=-0.1)
    with pytest.raises(ValueError, match="persistence must not be negative"):
        FloorHysteresis(persistence=-MIN)


def test_the_window_holds_the_proposals_of_the_persistence_time_and_says_when_it_is_covered() -> (
    None
):
    proposals = Proposals(timedelta(minutes=10))
    for k in range(12):  # one proposal a minute, 09:00-09:11
        proposals.add(T0 + k * MIN, k)
    recent, persisted = proposals.window(T0 + 12 * MIN, interval=MIN)
    # Within 10 minutes before 09:12: 09:03-09:11 (9 cycles); with 09:12 itself they stand for
    # 10 one-minute intervals, the whole persistence.
    assert recent == (3, 4, 5, 6, 7, 8, 9, 10, 11)
    assert persisted
    fresh = Proposals(timedelta(minutes=10))
    for k in range(8):  # started at 09:04: with 09:12, 9 minutes of proposals
        fresh.add(T0 + (4 + k) * MIN, 1)
    assert fresh.window(T0 + 12 * MIN, interval=MIN) == ((1,) * 8, False)
    assert fresh.window(T0 + 12 * MIN, interval=MIN) == ((1,) * 8, False)  # asking changes nothing


def test_at_decision_intervals_as_long_as_the_persistence_every_move_is_written_at_once() -> None:
    hourly = Proposals(timedelta(hours=1))
    hourly.add(T0, 20)
    recent, persisted = hourly.window(T0 + timedelta(hours=1), interval=timedelta(hours=1))
    assert (recent, persisted) == ((), True)
    assert _settle(19, 20, recent=recent, persisted=persisted) == 19


def _wobbling_policy_plans(hysteresis: FloorHysteresis) -> list[CapacityPlan]:
    """Two hours of a forecast that asks for 14 and 15 replicas by turns, 10 minutes each (the
    model's own band throughout: live calibration would shift it)."""
    settings = PolicySettings(floor_hysteresis=hysteresis, min_calibration=10_000)
    policy = ScalingPolicy(
        capacity_per_replica=100.0, target_utilization=0.8, min_replicas=1, max_replicas=50,
        lead_time=timedelta(minutes=5), interval=MIN, quantile=0.9,
    )  # fmt: skip
    spec = TargetSpec(
        name=TargetName("shop/web"), ref=HpaRef(namespace="shop", name="web"), query="q",
        policy=policy,
    )  # fmt: skip
    target = TargetPolicy(spec, settings=settings)
    plans = []
    for k in range(120):
        now = T0 + k * MIN
        target.observe(now, 1000.0)
        peak = 1100.0 if (k // 10) % 2 == 0 else 1190.0  # 13.75 -> 14, 14.9 -> 15 replicas
        index = pd.date_range(now + MIN, periods=6, freq="1min")
        path = np.full(6, peak)
        forecast = Forecast(index=index, mean=path, quantiles={0.9: path}, model="test")
        plans.append(target.decide(now=now, reactive=3, forecast=forecast).plan)
    return plans


def test_a_wobbling_forecast_no_longer_rewrites_the_floor_and_the_plan_says_why() -> None:
    off = [p.floor for p in _wobbling_policy_plans(FloorHysteresis.off())]
    # 14 for 10 minutes, then 15 (kept 4 minutes longer by the lead-time stabilization): 11 writes
    assert off[:25] == [14] * 10 + [15] * 14 + [14]
    assert sum(a != b for a, b in itertools.pairwise(off)) == 11
    on = _wobbling_policy_plans(FloorHysteresis())
    assert {p.floor for p in on} == {14}  # 15 is within 14's raising band, never for an hour
    assert on[10].proposed == 15
    assert "keeping 14: the forecast asks for 15, within the dead band of 2.1 replicas" in (
        on[10].explain()
    )
