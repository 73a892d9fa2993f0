"""A fast, approximate replay of one candidate setting: the tuner's inner loop.

The exact replay (`scaler.simulate.replay`) runs the HPA port every 15 s and the full
`TargetPolicy` every step; over seven days at one minute that is about a second per candidate,
and the tuner tries a few dozen. Here the same arithmetic is done once per step over arrays:

- the **floor** for a candidate is what the planner would size: the live-calibrated ``quantile``
  band (the model's mean times the trailing empirical quantile of ``(actual + c) / (mean + c)``
  per horizon step, as `ForecastLedger.calibrated` does, from ratios already observable at each
  origin) peaked over the next ``window`` steps, divided by the load one replica should carry,
  held for ``window - 1`` steps (the planner's stabilisation over the lead time);
- the **HPA** is the autoscaling/v2 algorithm with the target HPA's ``spec.behavior``
  (`Window.behavior`; default: the Kubernetes default behavior), once per step: the tolerance
  band (per direction), the scale-up and scale-down stabilisation windows (the lowest/highest
  recommendation of the window), the scale-up and scale-down policies' rate limits with their
  ``selectPolicy``, and the floor as its ``minReplicas``. A step counts the replicas held for most
  of it (as the exact replay does): below twice the window a change the window delays shows one
  step later than the window alone says (it lands at or after the step's middle); on an hour step
  a 5-minute window's scale-down shows at once. A policy whose period is shorter than the step
  compounds once per period inside the step (each 15-s sync that starts a new period may move by
  the full amount); a longer one limits the change relative to the count one period earlier.

It is an approximation made for ranking candidates; the chosen setting is what the exact policy
then runs, and `tests/scaler/tuning` bounds the gap to the exact replay.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forescale.scaler.hpa.behavior import HpaBehavior, ScalingRules

__all__ = ["Window", "calibrated_factors", "hpa_counts", "sized_floors"]

TOLERANCE = 0.1
"""``--horizontal-pod-autoscaler-tolerance``: where the behavior sets none."""
SCALE_DOWN_WINDOW_S = 300.0
"""``--horizontal-pod-autoscaler-downscale-stabilization``: where the behavior sets none."""
SYNC_S = 15.0
SYNC_US = 15_000_000
OFFSET_SHARE = 0.05
"""As `ForecastLedger`: an offset of 5 % of the level keeps near-zero loads from huge ratios."""


@dataclass(frozen=True, slots=True)
class Window:
    """What every candidate shares: the history being replayed and the forecasts made over it."""

    load: np.ndarray
    """Load per step (NaN = gap)."""
    mean: np.ndarray
    """``mean[t, h - 1]``: the model's mean forecast for step ``t + h`` made at origin ``t``
    (NaN where no forecast was made)."""
    step_seconds: float
    capacity: float
    min_replicas: int
    max_replicas: int
    startup: int
    """Steps a requested replica takes to become ready."""
    calibration: int
    """Scored forecasts per horizon step that live calibration uses (a day of steps)."""
    behavior: HpaBehavior = field(default_factory=HpaBehavior.default)
    """The target HPA's ``spec.behavior``, so candidates are scored against the user's HPA."""

    @property
    def offset(self) -> float:
        finite = self.load[np.isfinite(self.load)]
        return max(OFFSET_SHARE * float(finite.mean()) if finite.size else 0.0, 1e-9)


def calibrated_factors(window: Window, quantile: float, horizon: int) -> np.ndarray:
    """``factors[t, h - 1]``: the calibration factor the ledger would hold at origin ``t``.

    The ratio for origin ``t`` and step ``h`` is only known once ``t + h`` has been observed, so
    the factor at ``t`` uses origins up to ``t - h``. NaN until 30 ratios exist (the ledger's
    default minimum), where the planner falls back to the model's own band (here: the mean).
    """
    load, mean = window.load, window.mean
    n = len(load)
    c = window.offset
    out = np.full((n, horizon), np.nan)
    for h in range(1, horizon + 1):
        actual = np.full(n, np.nan)
        actual[: n - h] = load[h:]
        ratio = (np.maximum(actual, 0.0) + c) / (np.maximum(mean[:, h - 1], 0.0) + c)
        rolled = (
            pd.Series(ratio)
            .rolling(window.calibration, min_periods=30)
            .quantile(quantile, interpolation="linear")
            .to_numpy()
        )
        out[h:, h - 1] = rolled[: n - h]
    return out


def sized_floors(
    window: Window,
    *,
    quantile: float,
    horizon: int,
    per_replica: float,
    factors: np.ndarray | None = None,
) -> np.ndarray:
    """The floor per step (NaN where no forecast): see the module docstring. ``factors``:
    `calibrated_factors` for this quantile (at least ``horizon`` columns), when already known
    (the tuner computes them once per quantile, not once per candidate)."""
    mean = window.mean[:, :horizon]
    if factors is None:
        factors = calibrated_factors(window, quantile, horizon)
    factors = factors[:, :horizon]
    c = window.offset
    band = np.where(
        np.isfinite(factors),
        np.maximum((np.maximum(mean, 0.0) + c) * factors - c, 0.0),
        np.maximum(mean, 0.0),
    )
    forecast = np.isfinite(mean).all(axis=1)
    peak = np.where(forecast, np.nanmax(np.where(np.isfinite(band), band, -np.inf), axis=1), 0.0)
    sized = np.maximum(np.ceil(peak / per_replica - 1e-9), 0.0)
    hold = max(1, horizon - 1)
    if hold > 1:
        padded = np.concatenate([np.zeros(hold - 1), sized])
        sized = sliding_window_view(padded, hold).max(axis=1)
    floors = np.clip(sized, window.min_replicas, window.max_replicas)
    return np.where(forecast, floors, np.nan)


def hpa_counts(
    window: Window, *, target_utilization: float, floors: np.ndarray | None = None
) -> np.ndarray:
    """Requested replicas per step of the HPA alone, or under ``floors`` as its minReplicas."""
    load = window.load
    n = len(load)
    step = window.step_seconds
    behavior = window.behavior
    down_rules, up_rules = behavior.scale_down, behavior.scale_up
    down_s = _window_seconds(down_rules, SCALE_DOWN_WINDOW_S)
    keep, keep_up = _held_steps(down_s, step), _held_steps(_window_seconds(up_rules, 0.0), step)
    tol_down = TOLERANCE if down_rules.tolerance is None else down_rules.tolerance
    tol_up = TOLERANCE if up_rules.tolerance is None else up_rules.tolerance
    syncs = max(1, int(step // SYNC_S))
    per = window.capacity * target_utilization
    lo_bound, hi_bound = max(window.min_replicas, 1), window.max_replicas
    lows = [lo_bound] * n
    if floors is not None:
        lows = [
            lo_bound if not math.isfinite(f) else min(hi_bound, max(lo_bound, int(f)))
            for f in floors.tolist()
        ]
    out = np.empty(n, dtype=np.int64)
    recs: deque[int] = deque(maxlen=keep)
    ups: deque[int] = deque(maxlen=keep_up)
    # The HPA ran before the window: start where it would be for the first load, not at its
    # minimum (a cold start inside every window would make every floor look like it pays).
    finite = load[np.isfinite(load)]
    cur = min(hi_bound, max(lo_bound, math.ceil(finite[0] / per - 1e-9) if finite.size else 1))
    up_limit = _rate_limit(up_rules, syncs=syncs, up=True, out=out, before=cur)
    down_limit = None if _unlimited_down(down_rules, syncs) else _rate_limit(
        down_rules, syncs=syncs, up=False, out=out, before=cur
    )  # fmt: skip
    for t, x in enumerate(load.tolist()):
        low = lows[t]
        if not math.isfinite(x):  # no metric: the HPA holds
            cur = min(hi_bound, max(cur, low))
            out[t] = cur
            continue
        need = x / per
        off = need / cur - 1.0
        raw = cur if -tol_down <= off <= tol_up else max(math.ceil(need - 1e-9), 1)
        recs.append(raw)
        up = raw
        if keep_up > 1:  # a scale-up stabilisation window: the lowest recommendation of it
            ups.append(raw)
            up = min(ups)
        rec = cur
        if cur < up:  # the scale-down window's highest is at least ``raw``: it does not bind
            rec = min(up, up_limit(t, cur, up))
        else:
            down = max(recs)
            if cur > down:
                rec = down if down_limit is None else max(down, down_limit(t, cur, down))
        cur = min(hi_bound, max(rec, low))
        out[t] = cur
    return out


def _window_seconds(rules: ScalingRules, unset: float) -> float:
    window = rules.stabilization_window
    return unset if window is None else window.total_seconds()


def _held_steps(window_s: float, step: float) -> int:
    """Steps of recommendations a stabilisation window of ``window_s`` keeps, counted so that
    the step's count is the one held for most of it (a change the window delays lands at or
    after the step's middle, so it shows one step later)."""
    if step >= 2 * window_s:
        return 1
    if step >= window_s:
        return 2
    return max(1, math.ceil(window_s / step)) + 1


Limit = Callable[[int, int, int], int]
"""``limit(t, current, target)``: the count the policies allow at step ``t``, clipped at
``target`` (any value past it means "not limiting")."""


def _unlimited_down(rules: ScalingRules, syncs: int) -> bool:
    """The policies can remove every replica within a step (the default -100 % per 15 s): the
    scale-down limit never binds, and the loop skips it."""
    free = [not is_pods and value >= 100 and _syncs(period) <= syncs
            for is_pods, value, period in rules.policies_us]  # fmt: skip
    if rules.select_policy == "Disabled":
        return False
    return any(free) if rules.select_policy == "Max" else all(free)


def _syncs(period_us: int) -> int:
    """Syncs a policy period spans: an event stops counting at the first sync a period later."""
    return max(1, -(-period_us // SYNC_US))


def _rate_limit(
    rules: ScalingRules, *, syncs: int, up: bool, out: np.ndarray, before: int
) -> Limit:
    """One direction's policies as a per-step limit (see the module docstring).

    A policy whose period spans ``p`` syncs applies ``ceil(syncs / p)`` times within a step when
    ``p <= syncs``, from the count at the step's start; otherwise once, from the count ``ceil(p /
    syncs)`` steps back (``before`` when that is before the window): upstream's "replicas at the
    start of the period". ``selectPolicy: Max`` takes the policy allowing the largest change.
    """
    rows = []
    for is_pods, value, period_us in rules.policies_us:
        p = _syncs(period_us)
        times, back = (math.ceil(syncs / p), 1) if p <= syncs else (1, math.ceil(p / syncs))
        rows.append((is_pods, value, times, back))
    select = rules.select_policy
    widest = (select == "Max") == up  # up: the highest limit; down: the lowest

    def limit(t: int, current: int, target: int) -> int:
        if select == "Disabled":
            return current
        best: int | None = None
        for is_pods, value, times, back in rows:
            c = current if back == 1 else (int(out[t - back]) if t >= back else before)
            c = _apply(c, is_pods, value, times, up=up, target=target)
            if best is None or (c > best if widest else c < best):
                best = c
        assert best is not None
        return max(best, current) if up else min(best, current)

    return limit


def _apply(c: int, is_pods: bool, value: int, times: int, *, up: bool, target: int) -> int:
    """``times`` applications of one policy from ``c``, stopping once past ``target``."""
    if is_pods:
        return c + value * times if up else c - value * times
    factor = 1 + float(value) / 100 if up else 1 - float(value) / 100
    for _ in range(times):
        if (c >= target) if up else (c <= target):
            break
        nxt = math.ceil(float(c) * factor) if up else int(float(c) * factor)
        if nxt == c:
            break
        c = nxt
    return c
