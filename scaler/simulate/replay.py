"""Replay a load trace through the predictive policy, the HPA alone, and an oracle.

Semantics (see `scaler.simulate.workload` for readiness and scoring):

- the trace's step is its median spacing; missing steps are gaps: the controller sees no data there
  (the HPA gets no metric and holds; Forescale's data goes stale) and they are not scored;
- at each step ``t`` every policy decides a requested replica count using data up to and
  including ``t`` only. The HPA syncs every 15 s within the step, seeing the step's load, as the
  real one would with a metric scraped once per step; the count that represents the step is the
  one it held for most of the step (`scaler.simulate.hpa_steps`): a scale-up shows in the same
  step; a scale-down, which waits out the 300 s stabilisation window, shows from the first step
  that mostly holds the lower count (on a 5-minute trace, the step after the drop);
- ``predictive`` is the full Forescale policy (the same `TargetPolicy` and `TargetForecaster` the
  controller runs: refits on its cadence, cheap forecasts in between, live calibration, fallback),
  acting as the HPA's ``minReplicas``; ``reactive`` is the HPA port alone with the same target
  utilisation; both HPAs (and the tuner's fast replay) have the user's ``spec.behavior``
  (`ReplayConfig.hpa_behavior`); ``oracle`` has perfect foresight (a lower bound for reference).

Forecasts between two refits come from one vectorised ``forecast_origins`` call, which by contract
equals calling ``predict(context=y[:origin])`` at each origin, so no step sees the future.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar, cast

import numpy as np
import pandas as pd

from forescale.models.base import BaseForecaster, Forecast
from forescale.models.validation import infer_step
from forescale.scaler.domain import HpaRef, ScalingPolicy, TargetName, TargetSpec
from forescale.scaler.forecasting.engine import (
    RefitPolicy,
    TargetForecaster,
    fit_model,
)
from forescale.scaler.hpa.behavior import DEFAULT_BEHAVIOR, HpaBehavior
from forescale.scaler.planning.fallback import Health, Issue
from forescale.scaler.planning.policy import PolicySettings, TargetPolicy
from forescale.scaler.simulate.hpa_steps import HpaRunner, replay_reactive
from forescale.scaler.simulate.tuned import WalkForwardTuner
from forescale.scaler.simulate.workload import Figures, oracle_requested, score, startup_steps
from forescale.scaler.tuning.config import TuningConfig
from forescale.scaler.tuning.tuner import TuningResult

__all__ = ["ReplayConfig", "ReplayResult", "replay", "replay_reactive", "scaling_policy"]

T = TypeVar("T")
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayConfig:
    capacity: float
    """Load one replica serves at 100 %."""
    startup: timedelta
    target_utilization: float = 0.8
    quantile: float = 0.9
    lead_time: timedelta | None = None
    """Defaults to ``startup``: size for the load when a replica asked for now is ready."""
    interval: timedelta | None = None
    """Decision interval; defaults to the trace step."""
    min_replicas: int = 1
    max_replicas: int = 10_000
    """Effectively unbounded by default. (Not derived from the trace: that would let the
    replay's early decisions depend on a peak it has not seen yet.)"""
    model: str = "auto"
    refit: RefitPolicy = field(default_factory=RefitPolicy)
    parallel: bool = True
    """Use a second core: the HPA-alone replay and each next model fit run in a worker process
    (a fit is a pure function of the data up to its time, so the decisions are identical)."""
    policy: PolicySettings = field(default_factory=PolicySettings)
    tuning: TuningConfig = field(default_factory=TuningConfig)
    """Walk-forward self-tuning at each refit (``TuningConfig(mode=None)``: fixed settings)."""
    hpa_behavior: HpaBehavior = DEFAULT_BEHAVIOR
    """The HPA's ``spec.behavior`` (policies, stabilisation windows, tolerance)."""

    def __post_init__(self) -> None:
        if not self.capacity > 0:
            raise ValueError(f"capacity must be > 0, got {self.capacity}")
        if self.startup < timedelta(0):
            raise ValueError("startup must not be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayResult:
    index: pd.DatetimeIndex
    load: np.ndarray
    requested: dict[str, np.ndarray]
    figures: dict[str, Figures]
    band: pd.DataFrame
    """Per step: the sized quantile forecast for ``t + lead`` and the floor (for plots)."""
    modes: np.ndarray
    step: timedelta
    startup_steps: int
    tunings: tuple[tuple[datetime, TuningResult], ...] = ()
    """Each tuning of the predictive policy: when, and what it chose and why."""
    forecasts: np.ndarray | None = None
    """``forecasts[t, h - 1]``: the mean forecast for ``t + h`` the policy was given at ``t``
    (NaN where none): what a tuning at the end of the trace replays."""

    def decisions(self) -> pd.DataFrame:
        """Rows ``timestamp, load, predictive, reactive`` (``load`` empty in gaps)."""
        frame = pd.DataFrame({"load": self.load}, index=self.index)
        for name in ("predictive", "reactive"):
            if name in self.requested:
                frame[name] = self.requested[name]
        frame.index.name = "timestamp"
        return frame


def replay(
    trace: pd.Series,
    config: ReplayConfig,
    *,
    policies: tuple[str, ...] = ("predictive", "reactive", "oracle"),
    progress: Progress | None = None,
) -> ReplayResult:
    """Replay ``trace`` (regular UTC index, NaN = gap) through ``policies``."""
    y, step = _regular(trace)
    index = cast(pd.DatetimeIndex, y.index)
    load = y.to_numpy(dtype=float)
    startup = startup_steps(config.startup, step)
    spec, behavior = _spec(config, step), config.hpa_behavior
    requested: dict[str, np.ndarray] = {}
    band = np.full((len(load), 2), np.nan)
    modes = np.full(len(load), "", dtype=object)
    tunings: list[tuple[datetime, TuningResult]] = []
    forecasts: list[np.ndarray] = []
    with _pool(config.parallel and "predictive" in policies) as pool:
        reactive = None
        if "reactive" in policies:
            if pool is not None:
                reactive = pool.submit(replay_reactive, load, index, spec.policy, behavior)
            else:
                requested["reactive"] = replay_reactive(load, index, spec.policy, behavior)
        if "predictive" in policies:
            requested["predictive"] = _replay_predictive(
                y,
                spec,
                config,
                band=band,
                modes=modes,
                progress=progress,
                pool=pool,
                tunings=tunings,
                forecasts=forecasts,
            )
        if reactive is not None:
            done = _result(reactive)
            requested["reactive"] = (
                done if done is not None else replay_reactive(load, index, spec.policy, behavior)
            )
    if "oracle" in policies:
        requested["oracle"] = oracle_requested(
            load=load, capacity=config.capacity, startup=startup,
            min_replicas=config.min_replicas,
        )  # fmt: skip
    figures = {
        name: score(load=load, requested=req, capacity=config.capacity, startup=startup,
                    step=step)
        for name, req in requested.items()
    }  # fmt: skip
    return ReplayResult(
        index=index,
        load=load,
        requested=requested,
        figures=figures,
        band=pd.DataFrame(band, index=index, columns=["forecast", "floor"]),
        modes=modes,
        step=step,
        startup_steps=startup,
        tunings=tuple(tunings),
        forecasts=forecasts[0] if forecasts else None,
    )


def _replay_predictive(
    y: pd.Series,
    spec: TargetSpec,
    config: ReplayConfig,
    *,
    band: np.ndarray,
    modes: np.ndarray,
    progress: Progress | None,
    pool: Executor | None = None,
    tunings: list[tuple[datetime, TuningResult]] | None = None,
    forecasts: list[np.ndarray] | None = None,
) -> np.ndarray:
    load = y.to_numpy(dtype=float)
    n = len(load)
    policy = TargetPolicy(spec, settings=config.policy, explain=False)
    forecaster = TargetForecaster(
        spec.model, step=spec.step, horizon=policy.horizon, refit=config.refit
    )
    hpa = HpaRunner(spec.policy, cast(pd.DatetimeIndex, y.index), behavior=config.hpa_behavior)
    future = pd.date_range(y.index[0], periods=n + policy.horizon + 1, freq=spec.step, tz="UTC")
    observed = np.cumsum(np.isfinite(load))
    times = cast(pd.DatetimeIndex, y.index).to_pydatetime()
    fitter = _Fitter(forecaster, y, times=times, observed=observed, pool=pool)
    out = np.empty(n, dtype=np.int64)
    paths: np.ndarray | None = None
    bands = np.empty((0, 0))
    seg_start = 0
    problem: Health | None = None
    lead = policy.lead_steps
    tuner = WalkForwardTuner(
        config.tuning, load=load, horizon=policy.horizon, step=spec.step, base=spec.policy,
        history_window=config.refit.history_window,
        startup=startup_steps(config.startup, spec.step), behavior=config.hpa_behavior,
    )  # fmt: skip
    tuner.start(policy)
    for t in range(n):
        now = times[t]
        policy.observe(now, None if not math.isfinite(load[t]) else float(load[t]))
        poor = policy.state.issue is Issue.POOR_QUALITY
        why = forecaster.due(now=now, available=int(observed[t]), poor_quality=poor)
        if why is not None:
            problem = fitter.refit(t)
            paths, seg_start = None, t
            tuned = tuner.tune(t, now, policy)
            if tuned is not None:
                hpa.policy = tuned
        if forecaster.model is None and problem is None:
            problem = forecaster.no_history(int(observed[t]))
        if paths is None and forecaster.model is not None:
            paths, bands = forecaster.origin_paths(
                y, start=t, end=_next_refit(forecaster, t, n), quantile=spec.policy.quantile
            )
            seg_start = t
        forecast: Forecast | None = None
        if paths is not None and math.isfinite(load[t]) and t - seg_start < len(paths):
            row, upper = paths[t - seg_start], bands[t - seg_start]
            if np.isfinite(row).all():
                tuner.record(t, row)
                quantiles = {spec.policy.quantile: upper} if np.isfinite(upper).all() else {}
                forecast = Forecast(
                    index=future[t + 1 : t + 1 + policy.horizon], mean=row, quantiles=quantiles,
                    model=forecaster.model_name,
                )  # fmt: skip
        decision = policy.decide(
            now=now, reactive=hpa.last_proposal or hpa.current, forecast=forecast,
            forecast_problem=None if forecast is not None else problem, origin=now,
        )  # fmt: skip
        plan = decision.plan
        out[t] = hpa.step(t, load[t], floor=plan.floor)
        modes[t] = plan.mode.value
        if decision.forecast is not None and len(decision.forecast.mean) >= lead:
            band[t, 0] = decision.forecast.quantile(policy.spec.policy.quantile)[lead - 1]
        band[t, 1] = np.nan if plan.floor is None else plan.floor
        if progress is not None and (t % 2000 == 0 or t == n - 1):
            progress(t + 1, n)
        if forecaster.model is not None and paths is not None and t - seg_start + 1 >= len(paths):
            paths = None  # segment exhausted without a refit (e.g. refit postponed)
    if tunings is not None:
        tunings.extend(tuner.results)
    if forecasts is not None:
        forecasts.append(tuner.means)
    return out


class _Fitter:
    """Refits for the replay: in a worker process one refit ahead when a pool is given.

    After each fit the next refit is predictable from time and history length alone (unless live
    quality turns poor); its fit is submitted at once and runs on the other core while this one
    replays the day. When the refit comes where predicted, its model is used; otherwise (a
    quality-triggered refit) the fit runs inline. Either way the model is the same function of
    the same data, so the decisions are identical with or without the pool.
    """

    def __init__(
        self,
        forecaster: TargetForecaster,
        y: pd.Series,
        *,
        times: np.ndarray,
        observed: np.ndarray,
        pool: Executor | None,
    ) -> None:
        self.forecaster, self.y, self.times, self.observed = forecaster, y, times, observed
        self.pool = pool
        self.pending: tuple[int, int, Future[BaseForecaster | Health]] | None = None

    def refit(self, t: int) -> Health | None:
        f, now = self.forecaster, self.times[t]
        pending, self.pending = self.pending, None
        result = _result(pending[2]) if pending is not None and pending[0] == t else None
        if pending is not None and result is not None:
            problem = f.install(result, now=now, fitted_len=pending[1])
        else:
            if pending is not None:
                pending[2].cancel()
            problem = f.fit(self.y.iloc[: t + 1], now=now)
        self._prefetch(t)
        return problem

    def _prefetch(self, t: int) -> None:
        f = self.forecaster
        if self.pool is None or f.model is None:
            return
        nxt = f.next_due(times=self.times, observed=self.observed, start=t)
        if nxt is None:
            return
        prepared = f.prepare(self.y.iloc[: nxt + 1], now=self.times[nxt])
        if isinstance(prepared, Health):
            return
        self.pending = (nxt, len(prepared), self.pool.submit(fit_model, f.new_model(), prepared))


def _result(future: Future[T]) -> T | None:
    """A worker's result, or None when the worker died (then the caller computes it inline)."""
    try:
        return future.result()
    except BrokenProcessPool:
        return None


@contextmanager
def _pool(enabled: bool) -> Iterator[Executor | None]:
    # fork, not spawn: spawn re-imports the caller's main module, which breaks any script that
    # lacks an ``if __name__ == "__main__"`` guard. Where fork is unavailable, run serially.
    if not enabled or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        yield None
        return
    # Two workers: the HPA-alone replay must not make the first model fits queue behind it.
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("fork")) as pool:
        yield pool


def _next_refit(forecaster: TargetForecaster, t: int, n: int) -> int:
    """Last step the current model's rolling forecasts are computed for (exclusive end)."""
    per_day = int(forecaster.refit.refit_every / forecaster.step)
    # During cold start refits come sooner (history doubling); keep segments short then.
    if forecaster.fitted_len < int(forecaster.refit.history_window / forecaster.step):
        per_day = min(per_day, max(1, forecaster.fitted_len))
    return min(n, t + max(1, per_day))


def scaling_policy(config: ReplayConfig, step: timedelta) -> ScalingPolicy:
    """The policy a replay of ``config`` on a trace of ``step`` runs (before any tuning)."""
    return _spec(config, step).policy


def _spec(config: ReplayConfig, step: timedelta) -> TargetSpec:
    policy = ScalingPolicy(
        capacity_per_replica=config.capacity,
        target_utilization=config.target_utilization,
        min_replicas=config.min_replicas,
        max_replicas=config.max_replicas,
        lead_time=config.lead_time if config.lead_time is not None else config.startup,
        quantile=config.quantile,
        interval=config.interval or step,
    )
    return TargetSpec(
        name=TargetName("replay"),
        ref=HpaRef(namespace="replay", name="replay"),
        query="trace",
        policy=policy,
        model=config.model,
        step=step,
    )


def _regular(trace: pd.Series) -> tuple[pd.Series, timedelta]:
    if len(trace) < 2:
        raise ValueError("a trace needs at least two samples")
    step = infer_step(cast(pd.DatetimeIndex, trace.index))  # median spacing
    full = pd.date_range(trace.index[0], trace.index[-1], freq=step, tz="UTC")
    y = trace.astype(float).reindex(full)
    return y, pd.Timedelta(step).to_pytimedelta()
