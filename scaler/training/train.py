"""The training pass: history -> backtest candidates -> select -> refit -> save -> maybe promote.

For each target, on its history (with known events divided out):

1. every candidate model is backtested with the same rolling origins over a held-back tail
   (`models.evaluation.backtest`: refit per block, cheap update in between, filled points never
   scored) at the target's planning horizon;
2. the best by MASE (pinball loss when MASE cannot be computed) is selected and refitted on the
   whole history;
3. the model currently promoted in the store is backtested on the same tail the same way (its
   configuration refitted at the same origins: the incumbent gets no advantage from having seen
   the tail). Optionally (``shadow``) both artifacts also forecast the most recent window live
   (`shadow_replay`);
4. the new model and its card (backtest metrics, the comparison in its notes) are saved as a new
   version; it is promoted unless it did worse than the promoted one (``force`` overrides).

Failures are per target: `train_all` reports each and carries on.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.base import clone

from forescale.models.base import BaseForecaster
from forescale.models.errors import ForecastError, InsufficientHistoryError
from forescale.models.evaluation import BacktestMetrics, backtest, prepare_series
from forescale.models.persistence import ModelCard, make_card
from forescale.models.registry import make_forecaster
from forescale.scaler.errors import ScalerError
from forescale.scaler.forecasting.events import EventCalendar
from forescale.scaler.forecasting.shadow import ShadowComparison, shadow_replay
from forescale.scaler.modelstore.base import ModelStore, model_key
from forescale.scaler.training.targets import TrainTarget
from forescale.scaler.units import format_duration

__all__ = [
    "DEFAULT_CANDIDATES",
    "CandidateResult",
    "TrainOptions",
    "TrainReport",
    "train_all",
    "train_target",
]

log = logging.getLogger(__name__)

DEFAULT_CANDIDATES = ("auto", "ridge", "fft", "level", "seasonal_naive")
"""The controller's fast models and ``auto``, which chooses among them per series."""
_FAILURES = (ForecastError, ScalerError, ValueError, ArithmeticError, np.linalg.LinAlgError)


class ProgressBar(Protocol):
    """`scaler.cli.progress.Progress` and anything shaped like it."""

    def __call__(self, done: int, total: int) -> None: ...

    def done(self, outcome: str) -> None: ...


ProgressFactory = Callable[[str], ProgressBar]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainOptions:
    candidates: tuple[str, ...] | None = None
    """Models to compare; None: `DEFAULT_CANDIDATES` and the target's own model."""
    test: timedelta = timedelta(days=2)
    """Held-back tail the candidates are scored on (at most a quarter of the history)."""
    origins: int = 200
    """Forecast origins spread over the tail."""
    refit_every: timedelta = timedelta(days=1)
    """Backtest refit cadence, as the controller's."""
    force: bool = False
    """Promote the selected model even when it did worse than the promoted one."""
    shadow: timedelta | None = None
    """Also replay the last ``shadow`` of history live beside the promoted model."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CandidateResult:
    model: str
    metrics: BacktestMetrics | None = None
    answered_by: tuple[str, ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model, "answered_by": list(self.answered_by)}
        if self.metrics is not None:
            out.update({k: _finite(v) for k, v in dataclasses.asdict(self.metrics).items()})
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainReport:
    target: str
    seconds: float
    error: str | None = None
    candidates: tuple[CandidateResult, ...] = ()
    selected: str | None = None
    baseline: CandidateResult | None = None
    """The promoted model's backtest on the same tail (None: nothing promoted)."""
    baseline_version: str | None = None
    shadow: ShadowComparison | None = None
    version: str | None = None
    card: ModelCard | None = None
    promoted: bool = False
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "ok": self.ok,
            "error": self.error,
            "selected": self.selected,
            "version": self.version,
            "promoted": self.promoted,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "candidates": [c.to_json() for c in self.candidates],
            "baseline": None if self.baseline is None else self.baseline.to_json(),
            "baseline_version": self.baseline_version,
            "shadow": None if self.shadow is None else self.shadow.to_json(),
        }


def train_all(
    targets: Iterable[TrainTarget],
    *,
    store: ModelStore,
    options: TrainOptions,
    now: datetime,
    progress: ProgressFactory | None = None,
) -> list[TrainReport]:
    """`train_target` for each target; a failure is reported and the next target still runs."""
    return [
        train_target(target, store=store, options=options, now=now, progress=progress)
        for target in targets
    ]


def train_target(
    target: TrainTarget,
    *,
    store: ModelStore,
    options: TrainOptions,
    now: datetime,
    progress: ProgressFactory | None = None,
) -> TrainReport:
    """One target's pass (see the module docstring); never raises for a target's own problem."""
    started = time.perf_counter()
    try:
        return _Pass(target, store=store, options=options, now=now, progress=progress).run(started)
    except _FAILURES as exc:
        error = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug on one target must not stop the others
        log.exception("%s: unexpected failure while training", target.name)
        error = f"unexpected {type(exc).__name__}: {exc}"
    return TrainReport(target=target.name, seconds=time.perf_counter() - started, error=error)


class _Pass:
    """The steps of one target's pass, sharing the prepared history and backtest plan."""

    def __init__(
        self,
        target: TrainTarget,
        *,
        store: ModelStore,
        options: TrainOptions,
        now: datetime,
        progress: ProgressFactory | None,
    ) -> None:
        self.target, self.store, self.options, self.now = target, store, options, now
        self.progress = progress
        self.key = model_key(target.name)
        self.calendar = EventCalendar(target.events)

    def run(self, started: float) -> TrainReport:
        raw = _trimmed(self.target.load())
        y = self.calendar.normalise(raw)
        self.y = y
        self.plan = _plan(y, step=self.target.step, horizon=self.target.horizon, opts=self.options)
        names = self.options.candidates or tuple(
            dict.fromkeys((*DEFAULT_CANDIDATES, self.target.model))
        )
        results = [self._score(make_forecaster(name), label=name) for name in names]
        best = _best(results)
        if best is None:
            detail = "; ".join(f"{r.model}: {r.error}" for r in results)
            raise InsufficientHistoryError(f"no candidate could be backtested ({detail})")
        prototype = make_forecaster(best.model)
        baseline, baseline_version, incumbent = self._baseline()
        shadow = self._shadow(prototype, incumbent)
        promote, reason = self._decide(best, baseline, baseline_version, shadow)
        filled, _ = prepare_series(y)
        model = clone(prototype).fit(filled)
        card = self._card(model, filled, best=best, results=results, baseline=baseline,
                          reason=reason)  # fmt: skip
        version = self.store.save(self.key, model, card)
        if promote:
            self.store.promote(self.key, version)
        return TrainReport(
            target=self.target.name, seconds=time.perf_counter() - started,
            candidates=tuple(results), selected=best.model, baseline=baseline,
            baseline_version=baseline_version, shadow=shadow, version=version, card=card,
            promoted=promote, reason=reason,
        )  # fmt: skip

    def _score(self, model: BaseForecaster, *, label: str) -> CandidateResult:
        bar = self.progress(f"{self.target.name}: {label}") if self.progress else None
        try:
            result = backtest(
                model, self.y, horizon=self.plan.horizon, test_size=self.plan.test,
                n_origins=self.plan.origins, refit_every=self.plan.refit_every, progress=bar,
            )  # fmt: skip
        except _FAILURES as exc:
            if bar is not None:
                bar.done(f"failed: {exc}")
            return CandidateResult(model=label, error=str(exc))
        if bar is not None:
            bar.done(f"MASE {result.metrics.mase:.3f}")
        return CandidateResult(model=label, metrics=result.metrics, answered_by=result.answered_by)

    def _baseline(self) -> tuple[CandidateResult | None, str | None, BaseForecaster | None]:
        """The promoted model's configuration, backtested like the candidates (None: none)."""
        version = self.store.promoted(self.key)
        if version is None:
            return None, None, None
        model, card = self.store.load(self.key, version)
        if abs(card.step_seconds - self.target.step.total_seconds()) > 1e-6:
            note = f"promoted {version} has another step ({card.step_seconds:g}s): not comparable"
            return CandidateResult(model=model.name, error=note), version, None
        scored = self._score(clone(model), label=f"promoted {version}")
        return scored, version, model

    def _shadow(
        self, prototype: BaseForecaster, incumbent: BaseForecaster | None
    ) -> ShadowComparison | None:
        window = self.options.shadow
        if window is None or incumbent is None:
            return None
        start = self.y.index[-1] - pd.Timedelta(window)
        candidate = clone(prototype).fit(prepare_series(self.y.loc[:start])[0])
        return shadow_replay(
            self.y, production=incumbent, candidate=candidate, start=start.to_pydatetime(),
            horizon=self.plan.horizon, events=(), candidate_version="new",
        )  # fmt: skip

    def _decide(
        self,
        best: CandidateResult,
        baseline: CandidateResult | None,
        version: str | None,
        shadow: ShadowComparison | None,
    ) -> tuple[bool, str]:
        assert best.metrics is not None
        if baseline is None or baseline.metrics is None:
            why = "nothing promoted yet" if baseline is None else (baseline.error or "")
            return True, f"promoted: {why}"
        worse = _worse(best.metrics, baseline.metrics)
        versus = (
            f"{best.model} MASE {best.metrics.mase:.3f} vs {baseline.metrics.mase:.3f} of "
            f"promoted {version}"
        )
        if shadow is not None and shadow.candidate_better is False:
            worse, versus = True, f"{versus}; shadow: {shadow.verdict}"
        if not worse:
            return True, f"promoted: {versus}"
        if self.options.force:
            return True, f"promoted (forced) although worse: {versus}"
        return False, f"not promoted, worse: {versus} (use --force to promote anyway)"

    def _card(
        self,
        model: BaseForecaster,
        filled: pd.Series,
        *,
        best: CandidateResult,
        results: Sequence[CandidateResult],
        baseline: CandidateResult | None,
        reason: str,
    ) -> ModelCard:
        assert best.metrics is not None
        metrics = {k: float(v) for k, v in dataclasses.asdict(best.metrics).items()}
        metrics["test_hours"] = self.plan.test * self.target.step.total_seconds() / 3600
        metrics["horizon_steps"] = float(self.plan.horizon)
        if baseline is not None and baseline.metrics is not None:
            metrics["promoted_mase"] = float(baseline.metrics.mase)
        card = make_card(model, filled, created_at=self.now, metrics=metrics)
        scores = ", ".join(
            f"{r.model} {r.metrics.mase:.3f}" if r.metrics else f"{r.model} failed" for r in results
        )
        summary = (
            f"forescale train: backtest MASE over the last "
            f"{format_duration(self.plan.test * self.target.step)} ({scores}); {reason}"
        )
        events = [f"known events divided out: {e.name}" for e in self.calendar.events]
        return dataclasses.replace(card, notes=(*card.notes, summary, *events))


@dataclass(frozen=True, slots=True)
class _BacktestPlan:
    horizon: int
    test: int
    origins: int
    refit_every: int


def _plan(y: pd.Series, *, step: timedelta, horizon: int, opts: TrainOptions) -> _BacktestPlan:
    """Step counts for the backtest: the tail is at most a quarter of the history."""
    test = min(int(opts.test / step), len(y) // 4)
    day = max(1, int(timedelta(days=1) / step))
    if test <= horizon or len(y) - test <= day:
        raise InsufficientHistoryError(
            f"{format_duration(len(y) * step)} of history is too short to train on: the "
            f"backtest holds back a tail longer than the {format_duration(horizon * step)} "
            "horizon and scores against a day of history before it. Until there is more, the "
            "controller fits its own model (cold start)"
        )
    origins = max(1, min(opts.origins, test - horizon))
    spacing = max(1.0, (test - horizon) / origins)
    refit = max(1, round(opts.refit_every / step / spacing))
    return _BacktestPlan(horizon=horizon, test=test, origins=origins, refit_every=refit)


def _trimmed(y: pd.Series) -> pd.Series:
    """Without the missing steps before the first and after the last observation."""
    values = y.to_numpy(dtype=float)
    observed = np.flatnonzero(np.isfinite(values))
    if observed.size == 0:
        raise InsufficientHistoryError("the history has no observed value; check the query")
    return y.iloc[observed[0] : observed[-1] + 1]


def _key(metrics: BacktestMetrics) -> tuple[float, float]:
    mase = metrics.mase if math.isfinite(metrics.mase) else math.inf
    return mase, metrics.pinball


def _best(results: Sequence[CandidateResult]) -> CandidateResult | None:
    scored = [r for r in results if r.metrics is not None]
    return min(scored, key=lambda r: _key(r.metrics)) if scored else None  # type: ignore[arg-type]


def _worse(new: BacktestMetrics, old: BacktestMetrics) -> bool:
    """Strictly worse on MASE; on pinball loss when either MASE is undefined (flat history)."""
    if math.isfinite(new.mase) and math.isfinite(old.mase):
        return new.mase > old.mase
    return new.pinball > old.pinball


def _finite(value: float | int) -> float | int | None:
    return value if not isinstance(value, float) or math.isfinite(value) else None
