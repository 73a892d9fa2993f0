"""`Hpa.hold` (the replay's fast path) is exact: skipping fixed-point syncs changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from forescale.scaler.hpa.behavior import HpaBehavior
from forescale.scaler.hpa.controller import Hpa
from forescale.scaler.hpa.metrics import load_metric

SYNC = timedelta(seconds=15)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _run(steps: list[tuple[float | None, int]], *, syncs: int, fast: bool, legacy: bool) -> list:
    hpa = Hpa(behavior=None if legacy else HpaBehavior.default())
    current, trail = 1, []
    for i, (load, floor) in enumerate(steps):
        metric = load_metric(load, capacity_per_replica=10.0, target_utilization=0.8)
        start = T0 + i * syncs * SYNC
        for k in range(syncs):
            d = hpa.reconcile(
                now=start + k * SYNC,
                current_replicas=current,
                min_replicas=floor,
                max_replicas=40,
                metrics=(metric,),
            )
            current = d.replicas
            trail.append(current if not fast else None)
            if fast and k < syncs - 1 and hpa.hold(d, until=start + (syncs - 1) * SYNC):
                break
        trail.append(("step", current))
    return [x for x in trail if isinstance(x, tuple)]


loads = st.one_of(st.none(), st.floats(min_value=0, max_value=500, allow_nan=False))
steps = st.lists(
    st.tuples(loads, st.integers(min_value=1, max_value=45)), min_size=1, max_size=60
).map(lambda xs: [(lo, min(f, 40)) for lo, f in xs])


@settings(max_examples=300, deadline=None)
@given(steps=steps, syncs=st.sampled_from([1, 2, 4, 20]), legacy=st.booleans())
def test_holding_fixed_points_gives_exactly_the_counts_of_syncing_every_15_seconds(
    steps: list[tuple[float | None, int]], syncs: int, legacy: bool
) -> None:
    assert _run(steps, syncs=syncs, fast=True, legacy=legacy) == _run(
        steps, syncs=syncs, fast=False, legacy=legacy
    )


def test_hold_refuses_a_sync_that_is_still_moving() -> None:
    hpa = Hpa(behavior=HpaBehavior.default())
    metric = load_metric(400.0, capacity_per_replica=10.0, target_utilization=0.8)
    d = hpa.reconcile(
        now=T0, current_replicas=1, min_replicas=1, max_replicas=100, metrics=(metric,)
    )
    assert d.replicas > 1  # scaling up: not a fixed point
    assert not hpa.hold(d, until=T0 + 3 * SYNC)
