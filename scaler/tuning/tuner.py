"""Choose each target's settings from its own recent history: the cheapest that keeps the service.

A floor under an HPA whose target stays where it is can only cost *more* than that HPA; fixed
settings cannot suit every workload. So at each refit the tuner replays the target's recent
history (`fastsim`) for candidate settings (the sized quantile, whether the floor covers the step
after the lead time, the floor on or off, and in ``tuned`` mode the HPA's target utilisation) and
keeps:

- ``fixed`` mode (the HPA's target is the user's): the user's setting while it *pays* on that
  history (serves more than the HPA's own cost/unserved frontier for its cost, and costs no more
  for its service); if it does not but another candidate does, the one with the lowest
  equal-cost unserved ratio. **Do no harm:** when no candidate pays, the target runs
  reactive-only, with the reason, until a later tuning finds forecasting pays clearly again.
  (Chasing each week's best quantile was tried: on the replay benchmark the week's best was a
  noisy guess at the next week's, and following it served less for the money than keeping the
  user's setting.)
- ``tuned`` mode: the cheapest candidate (HPA alone at a hotter target included) that meets the
  `Objective`; the HPA's target is part of the setting.

Hysteresis: a target sent reactive-only needs a clear gain to go predictive again, a predictive
one clear harm to be sent reactive-only (`RESUME`, `STOP`), and in tuned mode the current
setting is kept while within a small margin of the cheapest, so settings do not flap between
near-equal candidates day after day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from forescale.scaler.tuning.fastsim import Window, calibrated_factors, hpa_counts, sized_floors
from forescale.scaler.tuning.objective import Objective

__all__ = ["Mode", "Outcome", "Setting", "TuningResult", "tune"]

Mode = Literal["fixed", "tuned"]
QUANTILES = (0.5, 0.7, 0.8, 0.9, 0.95)
HOTTER = (0.85, 0.9, 0.95)
SWEEP = tuple(round(0.30 + 0.05 * k, 2) for k in range(14))
"""The HPA's target utilisations that draw its frontier (0.30-0.95)."""
NO_HARM = 1.0
"""Equal-cost ratio above which a predictive candidate does harm (serves less for the money)."""
RESUME = 0.95
"""A target sent reactive-only goes predictive again only below this ratio (hysteresis)."""
STOP = 1.05
"""A predictive target is sent reactive-only only above this ratio: the other side of the band.
Weeks with a floor and weeks without mix two points of a convex cost/unserved curve, and the mix
lies above the curve: on the replay benchmark a target switched off and on at 1.0 each week
served less for its money than either always or never (a spiky trace: 1.05 switching, 1.015
never switched off)."""
KEEP_MARGIN = 0.03
"""Tuned mode keeps the current setting while within this share of the cheapest's cost."""


@dataclass(frozen=True, slots=True)
class Setting:
    predictive: bool
    quantile: float
    target_utilization: float
    lead_offset: int = 0
    """Steps added to the lead time: -1 sizes the floor on the lead time alone (not the step
    after it), which often pays when replicas start in one or two steps."""

    def describe(self) -> str:
        if not self.predictive:
            return f"reactive only, HPA target {self.target_utilization:.0%}"
        lead = "" if self.lead_offset == 0 else f", lead {self.lead_offset:+d} step"
        return f"p{self.quantile * 100:g}{lead}, HPA target {self.target_utilization:.0%}"


@dataclass(frozen=True, slots=True)
class Outcome:
    setting: Setting
    replica_hours: float
    unserved_pct: float


@dataclass(frozen=True, slots=True)
class TuningResult:
    setting: Setting
    reason: str
    window_steps: int
    chosen: Outcome
    hpa: Outcome
    """The HPA alone at the user's target utilisation, on the same history."""
    frontier: tuple[Outcome, ...]
    candidates: tuple[Outcome, ...] = field(repr=False)
    equal_cost_ratio: float | None = None

    @property
    def expected_savings(self) -> float:
        """1 - chosen replica-hours / the HPA alone's (negative: costs more)."""
        if self.hpa.replica_hours <= 0:
            return 0.0
        return 1.0 - self.chosen.replica_hours / self.hpa.replica_hours


def tune(
    window: Window,
    *,
    quantile: float,
    target_utilization: float,
    lead_steps: int,
    mode: Mode = "fixed",
    objective: Objective | None = None,
    previous: Setting | None = None,
    window_note: str = "",
) -> TuningResult:
    """The setting for the next period; see the module docstring."""
    objective = objective or Objective()
    frontier = tuple(_reactive(window, u) for u in SWEEP)
    hpa = _reactive(window, target_utilization)
    targets: tuple[float, ...] = (target_utilization,)
    if mode == "tuned":
        targets += tuple(u for u in HOTTER if u > target_utilization)
    leads = (0, -1) if lead_steps >= 2 else (0,)
    quantiles = tuple(sorted({*QUANTILES, quantile}))
    factors = {q: calibrated_factors(window, q, lead_steps + 1) for q in quantiles}
    candidates = [
        _predictive(window, Setting(True, q, u, off), lead_steps, factors[q])
        for u in targets
        for q in quantiles
        for off in leads
    ]
    n = len(window.load)
    if mode == "tuned":
        pool = candidates + [o for o in frontier if o.setting.target_utilization >= hpa.setting.
                             target_utilization] + [hpa]  # fmt: skip
        chosen, reason = _cheapest(pool, hpa, objective, previous)
        ratio = _equal_cost(frontier, chosen)
    else:
        default = Setting(True, quantile, target_utilization)
        chosen, ratio, reason = _least_ratio(candidates, frontier, hpa, previous, default)
    return TuningResult(
        setting=chosen.setting,
        reason=f"{reason} (over the last {_span(n, window.step_seconds)}{window_note})",
        window_steps=n,
        chosen=chosen,
        hpa=hpa,
        frontier=frontier,
        candidates=tuple(candidates),
        equal_cost_ratio=ratio,
    )


def _reactive(window: Window, target: float) -> Outcome:
    counts = hpa_counts(window, target_utilization=target)
    return _outcome(window, Setting(False, 0.0, target), counts)


def _predictive(window: Window, setting: Setting, lead_steps: int, factors: np.ndarray) -> Outcome:
    horizon = lead_steps + 1 + setting.lead_offset
    floors = sized_floors(
        window, quantile=setting.quantile, horizon=horizon,
        per_replica=window.capacity * setting.target_utilization, factors=factors,
    )  # fmt: skip
    counts = hpa_counts(window, target_utilization=setting.target_utilization, floors=floors)
    return _outcome(window, setting, counts)


def _outcome(window: Window, setting: Setting, counts: np.ndarray) -> Outcome:
    load = window.load
    ready = counts.copy()
    for k in range(1, window.startup + 1):  # ready = min(requested[t - startup .. t])
        ready[k:] = np.minimum(ready[k:], counts[:-k])
    scored = np.isfinite(load)
    lo = load[scored]
    total = float(lo.sum())
    served = np.minimum(lo, ready[scored] * window.capacity).sum()
    return Outcome(
        setting=setting,
        replica_hours=float(counts.sum() * window.step_seconds / 3600.0),
        unserved_pct=100.0 * (total - float(served)) / total if total > 0 else 0.0,
    )


def _frontier_unserved(frontier: tuple[Outcome, ...], replica_hours: float) -> float:
    xs = np.array([o.replica_hours for o in frontier])
    ys = np.array([o.unserved_pct for o in frontier])
    order = np.argsort(xs)
    xs, ys = xs[order], np.minimum.accumulate(ys[order])
    return float(np.interp(replica_hours, xs, ys))


def _equal_cost(frontier: tuple[Outcome, ...], o: Outcome) -> float | None:
    """Unserved / the frontier's at the same cost; with both near zero, the cost ratio to the
    cheapest frontier point that serves everything (so a floor that only adds cost scores > 1)."""
    reference = _frontier_unserved(frontier, o.replica_hours)
    if reference > 1e-6:
        return o.unserved_pct / reference
    if o.unserved_pct > 1e-6:
        return math.inf
    full = [f.replica_hours for f in frontier if f.unserved_pct <= 1e-6]
    return o.replica_hours / min(full) if full else None


def _equal_service(frontier: tuple[Outcome, ...], o: Outcome) -> float:
    """Replica-hours / the frontier's cheapest replica-hours serving as much (interpolated)."""
    points = sorted((f.replica_hours, f.unserved_pct) for f in frontier)
    xs = [x for x, _ in points]
    ys: list[float] = np.minimum.accumulate(np.array([y for _, y in points])).tolist()
    u = o.unserved_pct
    if u >= ys[0]:
        return o.replica_hours / xs[0]
    # Serving more than any HPA setting: compare with the cheapest that serves the most.
    k = next((i for i, y in enumerate(ys) if y <= u), None)
    if k is None:
        k = next(i for i, y in enumerate(ys) if y <= ys[-1])
    if ys[k] > u or k == 0 or ys[k - 1] == ys[k]:
        return o.replica_hours / xs[k]
    x = xs[k - 1] + (xs[k] - xs[k - 1]) * (ys[k - 1] - u) / (ys[k - 1] - ys[k])
    return float(o.replica_hours / x)


def _least_ratio(
    candidates: list[Outcome],
    frontier: tuple[Outcome, ...],
    hpa: Outcome,
    previous: Setting | None,
    default: Setting,
) -> tuple[Outcome, float | None, str]:
    """The candidate that serves most for its cost; none that pays: the HPA alone.

    A candidate pays when it serves more than the frontier for its cost (equal-cost ratio below
    1) *and* costs no more than the frontier for its service (equal-service ratio at most 1):
    with almost nothing unserved the first ratio says nothing, and a floor that only adds cost
    must not count as serving better. Among those that pay, the lowest equal-cost ratio wins
    (what ``fixed`` mode promises: more served for the money)."""
    bar = NO_HARM if previous is None else STOP if previous.predictive else RESUME
    scored: list[tuple[float, float, Outcome]] = []  # (rank, harm, outcome)
    for o in candidates:
        service = _equal_service(frontier, o)
        cost = _equal_cost(frontier, o)
        rank = cost if cost is not None else service
        scored.append((rank, max(service, rank), o))
    if not scored:
        return hpa, None, "no load to judge forecasting on: reactive only"
    paying = [item for item in scored if item[1] <= bar]
    if not paying:
        least = min(scored, key=lambda item: item[1])
        return (
            hpa,
            least[0],
            (
                "forecasting did not pay here: the best floor "
                f"(p{least[2].setting.quantile * 100:g}) would be {least[1]:.2f}x the HPA alone "
                "at equal cost or equal service"
            ),
        )
    # The user's setting whenever it pays: a week's best is a noisy guess at next week's (on
    # the replay benchmark, following it cost more than it saved). Otherwise the current one
    # while it still pays, else the best that pays.
    by_setting = {item[2].setting: item for item in paying}
    chosen = by_setting.get(default) or (by_setting.get(previous) if previous else None)
    if chosen is None:
        chosen = min(paying, key=lambda item: (item[0], item[2].replica_hours))
    best_rank, best = chosen[0], chosen[2]
    return (
        best,
        best_rank,
        (
            f"{best.setting.describe()}: {best_rank:.2f}x the HPA alone's unserved load "
            "at equal cost"
        ),
    )


def _cheapest(
    pool: list[Outcome], hpa: Outcome, objective: Objective, previous: Setting | None
) -> tuple[Outcome, str]:
    limit = objective.limit(hpa.unserved_pct)
    meeting = [o for o in pool if o.unserved_pct <= limit]
    if not meeting:
        best = min(pool, key=lambda o: (o.unserved_pct, o.replica_hours))
        return best, (
            f"no setting met the objective ({objective.describe()}); {best.setting.describe()} "
            f"left the least unserved ({best.unserved_pct:.2f}%)"
        )
    best = min(meeting, key=lambda o: o.replica_hours)
    kept = next((o for o in meeting if o.setting == previous), None)
    if kept is not None and kept.replica_hours <= best.replica_hours * (1 + KEEP_MARGIN):
        best = kept
    saving = 1.0 - best.replica_hours / hpa.replica_hours if hpa.replica_hours > 0 else 0.0
    return best, (
        f"{best.setting.describe()}: {saving:+.0%} replica-hours vs the HPA alone, "
        f"{best.unserved_pct:.2f}% unserved ({objective.describe()})"
    )


def _span(steps: int, step_seconds: float) -> str:
    hours = steps * step_seconds / 3600.0
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"
