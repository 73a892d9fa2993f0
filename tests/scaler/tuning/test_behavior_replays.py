"""Both HPA replays (the exact port synced every 15 s, and the tuner's fast one) take the user's
``spec.behavior``; with the default behavior both give exactly the numbers they gave before.

The expected counts below are worked out by hand from upstream's rules (1-minute steps, 10 load
per replica, target 100 %, so a load of ``L`` asks for ``L / 10`` replicas).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from forescale.models.datasets import load_example
from forescale.scaler.domain import ScalingPolicy
from forescale.scaler.hpa.behavior import HpaBehavior
from forescale.scaler.hpa.spec import parse_behavior
from forescale.scaler.simulate.hpa_steps import replay_reactive
from forescale.scaler.simulate.workload import score
from forescale.scaler.tuning.fastsim import Window, hpa_counts

POLICY = ScalingPolicy(capacity_per_replica=10.0, max_replicas=10_000, target_utilization=1.0)
WARM = 10
"""Steps the exact HPA (which starts at one replica) needs to reach the first load's count; the
fast one starts there (the HPA ran before the window)."""


def _window(load: np.ndarray, behavior: HpaBehavior, *, capacity: float = 10.0,
            step: float = 60.0) -> Window:  # fmt: skip
    return Window(
        load=load, mean=np.full((len(load), 1), np.nan), step_seconds=step, capacity=capacity,
        min_replicas=1, max_replicas=10_000, startup=5, calibration=1440, behavior=behavior,
    )  # fmt: skip


def _both(load: list[float], behavior: HpaBehavior) -> tuple[list[int], list[int]]:
    """(exact, fast) counts after the warm-up."""
    values = np.asarray(load, dtype=float)
    index = pd.date_range("2026-01-05", periods=len(values), freq="1min", tz="UTC")
    exact = replay_reactive(values, index, POLICY, behavior)
    fast = hpa_counts(_window(values, behavior), target_utilization=1.0)
    return exact[WARM:].tolist(), fast[WARM:].tolist()


def test_a_10_percent_per_minute_scale_down_policy_steps_down_by_a_tenth_each_minute() -> None:
    behavior = parse_behavior({"scaleDown": {"stabilizationWindowSeconds": 0, "policies": [
        {"type": "Percent", "value": 10, "periodSeconds": 60}]}})  # fmt: skip
    # 100 replicas; the load drops to ask for 10: int(100 x 0.9) = 90, int(90 x 0.9) = 81, ...
    # down to 11, where 10 / 11 = 0.91 is within the 10 % tolerance: the HPA stays there.
    staircase = [90, 81, 72, 64, 57, 51, 45, 40, 36, 32, 28, 25, 22, 19, 17, 15, 13, 11, 11, 11]
    exact, fast = _both([1000.0] * (WARM + 2) + [100.0] * 20, behavior)
    assert exact == fast == [100, 100, *staircase]


def test_a_60_second_scale_down_window_drops_in_the_next_minute_not_after_five() -> None:
    behavior = parse_behavior({"scaleDown": {"stabilizationWindowSeconds": 60}})
    # The last high recommendation (at 15 s before the drop) leaves the window 45 s into the
    # drop's minute: that minute is held mostly at 100, the next at 10.
    exact, fast = _both([1000.0] * (WARM + 2) + [100.0] * 4, behavior)
    assert exact == fast == [100, 100, 100, 10, 10, 10]
    default_exact, default_fast = _both([1000.0] * (WARM + 2) + [100.0] * 8, HpaBehavior())
    assert default_exact == default_fast == [100] * 7 + [10] * 3  # five minutes, then one more


def test_a_percent_scale_up_limit_grows_by_half_per_minute() -> None:
    behavior = parse_behavior({"scaleUp": {"policies": [
        {"type": "Percent", "value": 50, "periodSeconds": 60}]}})  # fmt: skip
    # 10 replicas, then a load asking for 100: ceil(10 x 1.5) = 15, ceil(22.5) = 23, 35, 53, 80.
    exact, fast = _both([100.0] * (WARM + 1) + [1000.0] * 6, behavior)
    assert exact == fast == [10, 15, 23, 35, 53, 80, 100]


def test_a_tighter_scale_up_tolerance_reacts_to_a_5_percent_rise() -> None:
    load = [100.0] * (WARM + 1) + [105.0] * 2
    assert _both(load, HpaBehavior()) == ([10, 10, 10], [10, 10, 10])  # within 10 %
    tight = parse_behavior({"scaleUp": {"tolerance": "20m"}})
    assert _both(load, tight) == ([10, 11, 11], [10, 11, 11])  # ceil(10.5)


def test_scale_down_disabled_never_scales_down() -> None:
    behavior = parse_behavior({"scaleDown": {"selectPolicy": "Disabled"}})
    exact, fast = _both([1000.0] * (WARM + 1) + [100.0] * 10, behavior)
    assert exact == fast == [100] * 11


# -- the default path is bit-identical to before behaviors were configurable -------------------
# sha256 (first 16 hex digits) of the int64 counts each replay gave before this change, on slices
# of the bundled NASA trace (1 minute, and resampled to 2 minutes, 5 minutes and an hour), with a
# gap, at three targets, with and without floors, and at a tenth of the capacity (fast growth).
BEFORE = {
    ("1min", "hot"): "611790a789082734", ("2min", "hot"): "04df7cece17b7298",
    ("5min", "hot"): "069fc416a7bbc3a6", ("1h", "hot"): "49a214086c7a40d0",
    ("1min", 0.5): ("90ecbbe395d87d8d", "c97d5744ce0533fd"),
    ("1min", 0.8): ("b602dad13a226e74", "b4230af88f924323"),
    ("1min", 0.95): ("4506e299a1f4d63a", "7ec35f9c2dcc8b13"),
    ("2min", 0.5): ("0a152c056ac0bc57", "140df03cfa9f48c5"),
    ("2min", 0.8): ("42d65c26e5d80b6c", "bafc694b7d651080"),
    ("2min", 0.95): ("ead85b970c99b7b4", "9261f55321257aa5"),
    ("5min", 0.5): ("1cdb3672d41bdf9a", "f2878f3b657b235a"),
    ("5min", 0.8): ("af9e29e2baf693ee", "5bd4aef822e7b9d3"),
    ("5min", 0.95): ("1eca2496b7e0d568", "374e5eed5f0a7d66"),
    ("1h", 0.5): ("d9c9295007996f26", "c7a1be943b231805"),
    ("1h", 0.8): ("b356e071ecc2202f", "6ead0c3f8b200e45"),
    ("1h", 0.95): ("4b1aaae571b39f90", "837e7bb3ae827410"),
    ("1min", "exact"): "591ff02b00ac68f1", ("5min", "exact"): "c53f65c79fd8c82a",
    ("1h", "exact"): "b0c57925e806a082",
}  # fmt: skip


def _digest(counts: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(counts, dtype=np.int64).tobytes()).hexdigest()[:16]


def _slices() -> dict[str, pd.Series]:
    y = load_example("nasa")
    return {
        "1min": y.iloc[: 3 * 1440],
        "2min": y.iloc[: 6 * 1440].resample("2min").sum(),
        "5min": y.iloc[: 14 * 1440].resample("5min").sum(),
        "1h": y.resample("1h").sum(),
    }


@pytest.mark.parametrize("name", ["1min", "2min", "5min", "1h"])
def test_the_default_behavior_gives_exactly_the_numbers_it_gave_before(name: str) -> None:
    s = _slices()[name]
    load = s.to_numpy(dtype=float).copy()
    load[100:103] = np.nan
    step = (s.index[1] - s.index[0]).total_seconds()
    capacity = float(np.nanpercentile(load, 99) / 20)
    window = _window(load, HpaBehavior(), capacity=capacity, step=step)
    assert window == replace(window, behavior=HpaBehavior.default())  # the default is the same
    hot = replace(window, capacity=capacity / 10)
    assert _digest(hpa_counts(hot, target_utilization=0.8)) == BEFORE[name, "hot"]
    floors = np.where(np.arange(len(load)) % 7 < 3, np.nan, np.roll(np.nan_to_num(load), -3))
    floors = floors / capacity
    for target in (0.5, 0.8, 0.95):
        alone = _digest(hpa_counts(window, target_utilization=target))
        floored = _digest(hpa_counts(window, target_utilization=target, floors=floors))
        assert (alone, floored) == BEFORE[name, target]
    if (name, "exact") in BEFORE:
        policy = ScalingPolicy(capacity_per_replica=capacity, max_replicas=10_000)
        exact = replay_reactive(load, pd.DatetimeIndex(s.index), policy)
        assert _digest(exact) == BEFORE[name, "exact"]


# -- the fast replay stays close to the exact one for the user's behavior ----------------------


@pytest.mark.parametrize(
    "spec",
    [
        {"scaleDown": {"stabilizationWindowSeconds": 60}},
        {"scaleDown": {"policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]}},
        {"scaleUp": {"policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}},
    ],
    ids=["60s-scale-down-window", "10pct-per-minute-down", "50pct-per-minute-up"],
)
def test_fast_hpa_matches_the_exact_port_for_a_non_default_behavior(spec: object) -> None:
    """The bound the default behavior is held to (`test_tuner`), on three days of a real trace
    (the first hour, where the exact HPA climbs from one replica, left out)."""
    behavior = parse_behavior(spec)
    s = _slices()["1min"]
    load = s.to_numpy(dtype=float)
    capacity = float(np.nanpercentile(load, 99) / 20)
    index = pd.DatetimeIndex(s.index)
    for target in (0.5, 0.8, 0.95):
        policy = replace(POLICY, capacity_per_replica=capacity, target_utilization=target)
        exact = replay_reactive(load, index, policy, behavior)
        fast = hpa_counts(_window(load, behavior, capacity=capacity), target_utilization=target)
        e, f = (
            score(load=load[60:], requested=r[60:], capacity=capacity, startup=5,
                  step=timedelta(minutes=1))
            for r in (exact, fast)
        )  # fmt: skip
        assert f.replica_hours == pytest.approx(e.replica_hours, rel=0.01)
        assert f.unserved_load_pct == pytest.approx(e.unserved_load_pct, rel=0.1, abs=0.05)
