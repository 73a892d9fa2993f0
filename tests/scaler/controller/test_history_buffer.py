"""`LoadHistory` keeps its samples in a numpy buffer on the step grid (issue 14 item 1); it must
hold exactly what the pandas Series it replaced held, and feed the policy the same samples.

`_SeriesHistory` below is the old merge (a Series concatenated and trimmed every cycle), kept
here as the reference. Both are fed the same answers: the warm window, one new step at a time,
several steps at once, a re-read that overlaps what is held (newest values win), gaps (NaN), and
a long silence after which the window's start has moved on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from forescale.scaler.controller.history import WARM_TAIL, LoadHistory
from forescale.scaler.domain import HpaRef, ScalingPolicy, TargetName, TargetSpec

STEP = timedelta(minutes=5)
WINDOW = timedelta(days=1)
START = datetime(2026, 3, 2, tzinfo=UTC)


def _spec() -> TargetSpec:
    return TargetSpec(
        name=TargetName("shop/web"), ref=HpaRef(namespace="shop", name="web"), query="load",
        policy=ScalingPolicy(capacity_per_replica=10.0, max_replicas=10, interval=STEP),
        model="level",
        step=STEP, history=WINDOW,
    )  # fmt: skip


class _SeriesHistory:
    """The merge before issue 14 item 1, verbatim in what it keeps."""

    def __init__(self) -> None:
        self.series = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))

    def merge(self, fresh: pd.Series, *, now: datetime) -> list[tuple[datetime, float | None]]:
        held, warm = self.series, self.series.empty
        fresh = fresh.astype(float)
        if warm or fresh.index[0] > held.index[-1]:
            combined = fresh if warm else pd.concat([held, fresh])
        else:
            combined = pd.concat([held, fresh])
            combined = combined[~combined.index.duplicated(keep="last")].sort_index()
        cutoff = pd.Timestamp(now).floor(STEP) - pd.Timedelta(WINDOW)
        if combined.index[0] <= cutoff:
            combined = combined.loc[combined.index > cutoff]
        self.series = combined
        if warm:
            fresh = fresh.iloc[-WARM_TAIL:]
        return [
            (ts.to_pydatetime(), None if not np.isfinite(v) else float(v))
            for ts, v in zip(fresh.index, fresh.to_numpy(dtype=float), strict=True)
        ]


def _answer(first: int, count: int, rng: np.random.Generator, *, silent: int = 0) -> pd.Series:
    """``count`` steps from step ``first`` after START, some of them gaps, the first ``silent``
    all gaps. Every source answers on the whole asked grid, NaN where it has no sample
    (`MetricsSource.range_query`), so an answer is never missing a step."""
    index = pd.date_range(START + first * STEP, periods=count, freq=STEP)
    values = rng.uniform(0, 100, count)
    values[rng.random(count) < 0.1] = np.nan
    values[:silent] = np.nan
    return pd.Series(values, index=index)


def test_the_buffer_holds_and_feeds_exactly_what_the_series_did() -> None:
    rng = np.random.default_rng(3)
    new, old = LoadHistory(_spec()), _SeriesHistory()
    day = int(WINDOW / STEP)
    answers = [(0, day + 1, 0)]  # the warm window, as load_history answers it (both ends)
    answers += [(day + 1 + k, 1, 0) for k in range(30)]  # the steady cycle
    answers += [(day + 31, 4, 0), (day + 20, 20, 0), (day + 40, 2, 0)]  # several, a re-read
    answers += [(day + 42, 2 * day + 3, 2 * day)]  # after a silence longer than the window
    answers += [(3 * day + 45 + k, 1, 0) for k in range(5)]
    for first, count, silent in answers:
        fresh = _answer(first, count, rng, silent=silent)
        now = (fresh.index[-1] + pd.Timedelta(seconds=30)).to_pydatetime()
        fed_new, fed_old = new.merge(fresh, now=now), old.merge(fresh, now=now)
        assert fed_new == fed_old
        held = new.series
        expected = old.series.astype(float)
        assert held.index.equals(expected.index)
        np.testing.assert_array_equal(held.to_numpy(), expected.to_numpy())
        finite = expected.dropna()
        assert new.latest() == (None if finite.empty else float(finite.iloc[-1]))
        assert new.observed() == int(expected.notna().sum())
        end = expected.index[len(expected) // 2]
        since = new.since(end)
        values, start_ns = new.recent(end)
        reference = expected.iloc[int(expected.index.searchsorted(end)) :]
        assert since.index.equals(reference.index)
        np.testing.assert_array_equal(since.to_numpy(), reference.to_numpy())
        np.testing.assert_array_equal(values, reference.to_numpy())
        assert start_ns == reference.index[0].value


def test_published_samples_never_change_under_a_reader() -> None:
    """A fit running outside the lock holds a view of the buffer while cycles go on."""
    rng = np.random.default_rng(4)
    history = LoadHistory(_spec())
    day = int(WINDOW / STEP)
    history.merge(_answer(0, day + 1, rng), now=START + day * STEP)
    view, _ = history.recent(None)
    before = view.copy()
    for k in range(200):  # past the buffer's spare slots: a new buffer is taken
        history.merge(_answer(day + 1 + k, 1, rng), now=START + (day + 1 + k) * STEP)
    history.merge(_answer(day + 150, 10, rng), now=START + (day + 201) * STEP)  # a re-read
    np.testing.assert_array_equal(view, before)
    assert not view.flags.writeable
