"""What `train_target` trains: a name, a step, a horizon, known events and a history loader.

Two sources: a `TargetSpec` (the controller's targets; history from the metrics backend over the
spec's history window, stitched like the controller's warm start) or a CSV trace (offline work in
a notebook or on a laptop). Either way the loader runs inside the per-target error boundary, so an
unreachable Prometheus or a broken file fails that target only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import pandas as pd

from forescale.models.datasets import load_trace
from forescale.models.validation import infer_step
from forescale.scaler.domain import KnownEvent, TargetSpec
from forescale.scaler.metrics.base import MetricsSource
from forescale.scaler.metrics.history import load_history
from forescale.scaler.units import format_duration

__all__ = ["TrainTarget", "from_series", "from_spec", "from_trace", "history_window"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainTarget:
    name: str
    """Target name (``namespace/name`` for specs); its model-store key is `model_key(name)`."""
    step: timedelta
    horizon: int
    """Steps ahead the candidates are compared at (the lead time plus one decision interval)."""
    load: Callable[[], pd.Series]
    """Returns the history: a regular UTC series at ``step``, NaN for missing steps."""
    model: str = "auto"
    """The spec's model: a candidate unless the candidates are given explicitly."""
    events: tuple[KnownEvent, ...] = ()
    source: str = ""
    """Where the history comes from, for messages."""


def history_window(spec: TargetSpec, *, now: datetime) -> tuple[datetime, datetime]:
    """``(start, end)`` of the history a target trains on: its history window up to ``now``
    rounded down to its step (a fleet run reads these windows ahead in batches)."""
    end = pd.Timestamp(now).floor(spec.step).to_pydatetime()
    return end - spec.history, end


def from_spec(spec: TargetSpec, *, source: MetricsSource, now: datetime) -> TrainTarget:
    """A controller target: its history window up to ``now`` through ``source``."""
    p = spec.policy
    horizon = max(1, math.ceil((p.lead_time + p.interval) / spec.step - 1e-9))
    start, end = history_window(spec, now=now)

    def load() -> pd.Series:
        return load_history(
            source,
            query=spec.query,
            start=start,
            end=end,
            step=spec.step,
            history_query=spec.history_query,
        )

    return TrainTarget(
        name=str(spec.name),
        step=spec.step,
        horizon=horizon,
        load=load,
        model=spec.model,
        events=spec.events,
        source=f"{format_duration(spec.history)} of {spec.query}",
    )


def from_trace(
    name: str,
    path: str | Path,
    *,
    horizon: timedelta,
    step: timedelta | None = None,
    events: tuple[KnownEvent, ...] = (),
) -> TrainTarget:
    """A ``timestamp,value`` CSV; resampled to ``step`` by mean when given, else as it is.

    The step must be known before the file is read (it sizes the horizon), so it is read once
    here; a malformed file raises `DataFileError` now, naming the line."""
    series = _resampled(load_trace(path), step)
    return from_series(name, series, horizon=horizon, events=events, source=str(path))


def from_series(
    name: str,
    series: pd.Series,
    *,
    horizon: timedelta,
    events: tuple[KnownEvent, ...] = (),
    source: str = "in-memory series",
) -> TrainTarget:
    """An in-memory series (a notebook's); its step is its median spacing."""
    step = infer_step(cast(pd.DatetimeIndex, series.index)).to_pytimedelta()
    if horizon < step:
        raise ValueError(
            f"the horizon {format_duration(horizon)} is shorter than the series' step "
            f"{format_duration(step)}; use a longer --horizon"
        )
    return TrainTarget(
        name=name,
        step=step,
        horizon=max(1, round(horizon / step)),
        load=lambda: series,
        events=events,
        source=source,
    )


def _resampled(y: pd.Series, step: timedelta | None) -> pd.Series:
    if step is None:
        return y
    return y.resample(pd.Timedelta(step), origin="epoch").mean()
