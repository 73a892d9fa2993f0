"""The tuner: its objective, its choice where the answer is known, its fast replay's fidelity."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from forescale.scaler.domain import ScalingPolicy
from forescale.scaler.simulate.replay import replay_reactive
from forescale.scaler.simulate.workload import score
from forescale.scaler.tuning.fastsim import Window, hpa_counts, sized_floors
from forescale.scaler.tuning.objective import Objective, ObjectiveError
from forescale.scaler.tuning.tuner import Outcome, Setting, _least_ratio, tune

STEP = 60.0
DAY = 1440


def _window(load: np.ndarray, mean: np.ndarray, *, capacity: float = 10.0) -> Window:
    return Window(
        load=load, mean=mean, step_seconds=STEP, capacity=capacity, min_replicas=1,
        max_replicas=10_000, startup=5, calibration=DAY,
    )  # fmt: skip


def _paths(values: np.ndarray, horizon: int) -> np.ndarray:
    """A perfect forecaster: ``mean[t, h - 1] = values[t + h]`` (NaN past the end)."""
    n = len(values)
    out = np.full((n, horizon), np.nan)
    for h in range(1, horizon + 1):
        out[: n - h, h - 1] = values[h:]
    out[-horizon:] = values[-1]
    return out


def _daily(days: int, *, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    t = np.arange(days * DAY)
    rng = np.random.default_rng(seed)
    # A sharp morning ramp (100 -> 1000 in 5 minutes, at 08:00 every day) and a slow evening
    # decline: the HPA alone lags the ramp by its replicas' startup, a floor sized ahead does not.
    minute = t % DAY
    shape = 100 + 900 * np.clip((minute - 480) / 5, 0, 1) * np.clip((1200 - minute) / 240, 0, 1)
    return shape * (1 + noise * rng.standard_normal(len(t)))


# -- objective -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pct"),
    [("same-as-hpa", None), ("max-unserved:0.1%", 0.1), ("max-unserved=2", 2.0),
     ({"maxUnservedPercent": 0.5}, 0.5), (None, None)],
)  # fmt: skip
def test_objectives_parse(text: object, pct: float | None) -> None:
    assert Objective.parse(text).max_unserved_pct == pct


@pytest.mark.parametrize(
    ("value", "message"),
    [("cheapest", "not understood"), ({"maxUnserved": 1}, "unknown key"),
     ({"maxUnservedPercent": "lots"}, "must be a number"),
     ({"maxUnservedPercent": -1}, r"\[0, 100\)"), ({"maxUnservedPercent": True}, "number"),
     ("max-unserved:150%", r"\[0, 100\)")],
)  # fmt: skip
def test_bad_objectives_say_what_is_accepted(value: object, message: str) -> None:
    with pytest.raises(ObjectiveError, match=message):
        Objective.parse(value)


def test_the_objective_limit_is_the_hpas_own_service_or_the_stated_percentage() -> None:
    assert Objective().limit(1.5) == pytest.approx(1.51)
    assert Objective(max_unserved_pct=0.1).limit(1.5) == 0.1
    assert Objective.parse(Objective(0.2).to_text()) == Objective(0.2)


# -- the fast replay -------------------------------------------------------------------------


def test_fast_hpa_matches_the_exact_hpa_port_on_a_noisy_daily_trace() -> None:
    load = _daily(3, noise=0.1, seed=3)
    index = pd.date_range("2026-01-05", periods=len(load), freq="1min", tz="UTC")
    exact_policy = ScalingPolicy(capacity_per_replica=10.0, max_replicas=10_000)
    for target in (0.5, 0.8, 0.95):
        exact = replay_reactive(load, index, replace(exact_policy, target_utilization=target))
        fast = hpa_counts(_window(load, _paths(load, 6)), target_utilization=target)
        figures = [
            score(load=load, requested=r, capacity=10.0, startup=5, step=timedelta(minutes=1))
            for r in (exact, fast)
        ]
        assert figures[1].replica_hours == pytest.approx(figures[0].replica_hours, rel=0.02)
        assert figures[1].unserved_load_pct == pytest.approx(
            figures[0].unserved_load_pct, rel=0.1, abs=0.05
        )


def test_a_floor_is_the_hpas_minimum_and_the_hpa_still_scales_above_it() -> None:
    load = np.array([50.0] * 10 + [500.0] * 5 + [50.0] * 20)
    floors = np.full(len(load), 20.0)
    counts = hpa_counts(_window(load, _paths(load, 6)), target_utilization=1.0, floors=floors)
    assert counts[:10].tolist() == [20] * 10  # load needs 5: the floor holds 20
    assert counts[10:15].tolist() == [50] * 5  # 500 / 10: above the floor
    # After the burst the HPA's 5-minute stabilisation holds 50, then the floor again.
    assert counts[15:19].tolist() == [50] * 4 and counts[-1] == 20


def test_floors_are_sized_on_the_peak_ahead_and_held_over_the_lead_time() -> None:
    load = np.full(200, 100.0)
    load[150] = 1000.0
    floors = sized_floors(_window(load, _paths(load, 6)), quantile=0.9, horizon=6, per_replica=10.0)
    assert floors[100] == 10  # 100 / 10
    assert floors[144:150].tolist() == [100.0] * 6  # the spike seen 6..1 steps ahead
    assert floors[143] == 10 and floors[150:154].tolist() == [100.0] * 4  # held lead-1 steps
    assert floors[156] == 10


# -- the tuner's choice ----------------------------------------------------------------------


def test_a_flat_trace_runs_reactive_only_with_a_reason() -> None:
    rng = np.random.default_rng(1)
    load = 500 + 20 * rng.standard_normal(7 * DAY)
    mean = _paths(load, 6) + 40 * rng.standard_normal((len(load), 6))  # a noisy forecast
    result = tune(_window(load, mean), quantile=0.9, target_utilization=0.8, lead_steps=5)
    assert not result.setting.predictive
    assert result.setting.target_utilization == 0.8
    assert "forecasting did not pay here" in result.reason and "7 days" in result.reason


def test_a_clean_daily_cycle_runs_predictive_and_in_tuned_mode_a_hotter_hpa() -> None:
    load = _daily(7, noise=0.02, seed=2)
    window = _window(load, _paths(load, 6))
    fixed = tune(window, quantile=0.9, target_utilization=0.8, lead_steps=5)
    assert fixed.setting.predictive and fixed.setting.target_utilization == 0.8
    assert fixed.equal_cost_ratio is not None and fixed.equal_cost_ratio < 1.0
    tuned = tune(window, quantile=0.9, target_utilization=0.8, lead_steps=5, mode="tuned")
    assert tuned.setting.predictive and tuned.setting.target_utilization > 0.8
    assert tuned.chosen.unserved_pct <= tuned.hpa.unserved_pct + 0.01
    assert tuned.expected_savings > 0.05


def test_a_stated_unserved_limit_is_met_at_the_least_cost() -> None:
    load = _daily(7, noise=0.05, seed=4)
    window = _window(load, _paths(load, 6))
    loose = tune(window, quantile=0.9, target_utilization=0.8, lead_steps=5, mode="tuned",
                 objective=Objective(max_unserved_pct=5.0))  # fmt: skip
    strict = tune(window, quantile=0.9, target_utilization=0.8, lead_steps=5, mode="tuned",
                  objective=Objective(max_unserved_pct=0.01))  # fmt: skip
    assert loose.chosen.unserved_pct <= 5.0 and strict.chosen.unserved_pct <= 0.01
    assert loose.chosen.replica_hours < strict.chosen.replica_hours


def test_settings_do_not_flap_between_near_equal_candidates() -> None:
    load = _daily(7, noise=0.05, seed=5)
    window = _window(load, _paths(load, 6))
    first = tune(window, quantile=0.9, target_utilization=0.8, lead_steps=5)
    runner_up = min(
        (c for c in first.candidates if c.setting != first.setting),
        key=lambda c: abs(c.replica_hours - first.chosen.replica_hours),
    )
    again = tune(window, quantile=0.9, target_utilization=0.8, lead_steps=5,
                 previous=runner_up.setting)  # fmt: skip
    assert again.setting in (runner_up.setting, first.setting)
    kept = tune(window, quantile=0.9, target_utilization=0.8, lead_steps=5,
                previous=first.setting)  # fmt: skip
    assert kept.setting == first.setting


def test_a_target_sent_reactive_needs_a_clear_gain_to_go_predictive_again() -> None:
    load = _daily(7, noise=0.02, seed=2)
    result = tune(_window(load, _paths(load, 6)), quantile=0.9, target_utilization=0.8,
                  lead_steps=5, previous=Setting(False, 0.0, 0.8))  # fmt: skip
    assert result.setting.predictive  # a perfect forecast of a daily ramp pays by far
    assert result.equal_cost_ratio is not None and result.equal_cost_ratio < 0.95


def _outcome(rh: float, unserved: float, setting: Setting) -> Outcome:
    return Outcome(setting=setting, replica_hours=rh, unserved_pct=unserved)


@pytest.mark.parametrize(
    ("previous", "unserved", "predictive"),
    [
        (None, 5.15, False),  # 1.03x the HPA at equal cost: the first tuning says no
        (Setting(True, 0.9, 0.8), 5.15, True),  # already predictive: 1.03x is within the band
        (Setting(True, 0.9, 0.8), 5.40, False),  # 1.08x: clear harm, reactive only
        (Setting(False, 0.0, 0.8), 5.15, False),  # reactive only: needs below 0.95x to resume
        (Setting(False, 0.0, 0.8), 4.50, True),  # 0.90x
    ],
)  # fmt: skip
def test_going_reactive_and_coming_back_take_a_clear_difference_either_way(
    previous: Setting | None, unserved: float, predictive: bool
) -> None:
    # The HPA's frontier by hand: 100 replica-hours leave 10 % unserved, 200 leave 5 %, 300 2 %.
    points = ((100, 10.0, 0.9), (200, 5.0, 0.6), (300, 2.0, 0.4))
    frontier = tuple(_outcome(rh, un, Setting(False, 0.0, u)) for rh, un, u in points)
    hpa = frontier[0]
    default = Setting(True, 0.9, 0.8)
    floor = _outcome(200, unserved, default)  # unserved / 5 % = its equal-cost ratio

    chosen, _, reason = _least_ratio([floor], frontier, hpa, previous, default)

    assert chosen.setting.predictive is predictive, reason
    assert chosen is (floor if predictive else hpa)
