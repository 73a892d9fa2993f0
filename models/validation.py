"""Input checks shared by every forecaster, with messages that say how to fix the problem.

Fill policy (documented, bounded): missing steps (NaN values or absent timestamps inside the span)
are filled by linear interpolation when a run is at most ``max_gap_steps`` long; a longer run is
refused with `GapTooLongError`, because inventing hours of traffic would be a silent wrong answer.
Callers that know better (the backtester, which never scores filled points) may fill long gaps
themselves first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd

from forescale.models.durations import duration_seconds
from forescale.models.errors import (
    DuplicateTimestampsError,
    GapTooLongError,
    InsufficientHistoryError,
    InvalidSeriesError,
    IrregularIndexError,
    NegativeLoadError,
    NonFiniteValuesError,
    NonUtcIndexError,
)

__all__ = [
    "DEFAULT_MAX_GAP_STEPS",
    "check_series",
    "fill_long_gaps",
    "format_span",
    "infer_step",
    "missing_runs",
    "regularise",
    "to_timedelta",
    "validate_quantiles",
]

DEFAULT_MAX_GAP_STEPS = 12
"""Longest run of missing steps filled by interpolation (an hour at 5-minute steps)."""


def check_series(
    y: pd.Series,
    *,
    min_samples: int = 1,
    model: str = "model",
    freq: pd.Timedelta | None = None,
    max_gap_steps: int = DEFAULT_MAX_GAP_STEPS,
) -> pd.Series:
    """Return ``y`` as float64 on a regular UTC index with short gaps filled, or raise.

    ``freq`` forces the expected step (for context series that must match the training step).
    """
    regular = regularise(y, model=model, freq=freq)
    regular = _fill_gaps(regular, max_gap_steps=max_gap_steps, model=model)
    if len(regular) < min_samples:
        step = infer_step(cast(pd.DatetimeIndex, regular.index)) if freq is None else freq
        raise InsufficientHistoryError(
            f"{model} needs at least {min_samples} observations at step {_alias(step)}; got "
            f"{len(regular)}. Collect more history, or choose a model that needs less "
            "(e.g. 'seasonal_naive' or 'auto', which picks models by available history)."
        )
    return regular


def regularise(
    y: pd.Series, *, model: str = "model", freq: pd.Timedelta | None = None
) -> pd.Series:
    """``y`` as float64 on its regular UTC grid, missing steps as NaN; every check but gaps.

    For callers with their own gap policy (the backtester fills long outages seasonally and
    never scores them); `check_series` is this plus the bounded interpolation.
    """
    if not isinstance(y, pd.Series):
        raise InvalidSeriesError(f"expected a pandas Series, got {type(y).__name__}")
    idx = y.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise InvalidSeriesError(
            f"the series needs a DatetimeIndex, got {type(idx).__name__}; "
            "parse the timestamps with pd.to_datetime(..., utc=True)"
        )
    if idx.unit != "ns":  # pandas 3 parses to microseconds; all step arithmetic here is in ns
        idx = idx.as_unit("ns")
        y = pd.Series(y.to_numpy(), index=idx, name=y.name)
    if idx.tz is None or str(idx.tz) not in {"UTC", "utc"}:
        raise NonUtcIndexError(
            f"the index must be tz-aware UTC, got tz={idx.tz}; use "
            "y.tz_localize('UTC') for naive UTC timestamps or y.tz_convert('UTC')"
        )
    if len(y) == 0:
        raise InsufficientHistoryError(f"{model}: the series is empty")
    if idx.has_duplicates:
        dup = idx[idx.duplicated()][0]
        raise DuplicateTimestampsError(
            f"duplicate timestamp {dup.isoformat()}; aggregate first, e.g. y.groupby(level=0).sum()"
        )
    if not idx.is_monotonic_increasing:
        raise IrregularIndexError(
            "timestamps are not in increasing order; sort with y.sort_index()"
        )
    try:
        values = y.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidSeriesError(
            f"{model}: values must be numbers ({exc}); convert with pd.to_numeric(y)"
        ) from exc
    if np.isinf(values).any():
        at = idx[np.isinf(values)][0]
        raise NonFiniteValuesError(f"infinite value at {at.isoformat()}; drop or replace it")
    finite = values[~np.isnan(values)]
    if finite.size and finite.min() < 0:
        at = idx[np.nan_to_num(values, nan=0.0) < 0][0]
        raise NegativeLoadError(
            f"negative load {finite.min():g} at {at.isoformat()}; load is a rate or a count, "
            "check the query (a counter without rate()?)"
        )
    step = pd.Timedelta(freq) if freq is not None else infer_step(idx)
    if step <= pd.Timedelta(0):
        raise IrregularIndexError(f"{model}: the step must be positive, got {step}")
    return _regularise(pd.Series(values, index=idx, name=y.name), step, model=model)


def to_timedelta(value: str | pd.Timedelta) -> pd.Timedelta:
    """A duration string (as `forescale.models.durations.parse_duration`: ``"90s"``, ``"5m"``,
    ``"5min"``, ``"6h"``, ``"14d"``, ``"2w"``) or a Timedelta (as is), as a pandas Timedelta."""
    if isinstance(value, pd.Timedelta):
        return value
    return pd.Timedelta(seconds=duration_seconds(value))


def format_span(span: pd.Timedelta) -> str:
    """A history length for messages: ``"5.0h"`` below two days, ``"9.5d"`` from there."""
    hours = span / pd.Timedelta("1h")
    return f"{hours / 24:.1f}d" if hours >= 48 else f"{hours:.1f}h"


def validate_quantiles(quantiles: Iterable[float]) -> tuple[float, ...]:
    """Sorted unique quantiles, each strictly inside (0, 1)."""
    qs = sorted({float(q) for q in quantiles})
    for q in qs:
        if not 0.0 < q < 1.0 or np.isnan(q):
            raise ValueError(f"quantiles must lie strictly between 0 and 1, got {q}")
    return tuple(qs)


def infer_step(idx: pd.DatetimeIndex) -> pd.Timedelta:
    """The index's step: its ``freq`` when set, else the median spacing."""
    if idx.freq is not None:
        return pd.Timedelta(cast(Any, idx.freq))
    if len(idx) < 2:
        raise InsufficientHistoryError("need at least two observations to know the step")
    diffs = np.diff(idx.as_unit("ns").asi8)
    return pd.Timedelta(int(np.median(diffs)), unit="ns")


def _regularise(y: pd.Series, step: pd.Timedelta, *, model: str) -> pd.Series:
    """Put ``y`` on the grid ``start + k*step``; off-grid timestamps are an error, not rounded."""
    idx = cast(pd.DatetimeIndex, y.index)
    offsets = (idx.asi8 - idx.asi8[0]) % step.value
    if (offsets != 0).any():
        bad = idx[offsets != 0][0]
        raise IrregularIndexError(
            f"{model}: timestamp {bad.isoformat()} is off the {step} grid starting at "
            f"{idx[0].isoformat()}; resample first, e.g. y.resample('{_alias(step)}').mean()"
        )
    span = (idx.asi8[-1] - idx.asi8[0]) // step.value + 1
    if span == len(idx):
        return y  # already regular: skip building the grid (the cheap-update path)
    full = pd.date_range(idx[0], idx[-1], freq=step, unit="ns")
    return y.reindex(full)


def missing_runs(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and lengths of the runs of ``True`` in a boolean array (vectorised)."""
    padded = np.concatenate(([False], np.asarray(missing, dtype=bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[::2], edges[1::2]
    return starts, ends - starts


def _fill_gaps(y: pd.Series, *, max_gap_steps: int, model: str) -> pd.Series:
    missing = y.isna().to_numpy()
    if not missing.any():
        return y
    starts, lengths = missing_runs(missing)
    bad = (lengths > max_gap_steps) | (starts == 0) | (starts + lengths == len(y))
    if bad.any():
        run_start, length = int(starts[bad][0]), int(lengths[bad][0])
        if run_start == 0:
            where = "at the start"
        elif run_start + length == len(y):
            where = "at the end"
        else:
            where = f"from {y.index[run_start].isoformat()}"
        raise GapTooLongError(
            f"{model}: {length} missing step(s) {where} (the fill limit is "
            f"{max_gap_steps} inside the series); trim the series to after the gap, "
            "or fill it yourself (e.g. with the same time last week, see fill_long_gaps)"
        )
    return y.interpolate(method="linear", limit_area="inside")


def fill_long_gaps(
    y: pd.Series, *, season_steps: tuple[int, ...], max_gap_steps: int = DEFAULT_MAX_GAP_STEPS
) -> tuple[pd.Series, np.ndarray]:
    """Fill every missing step of a regular series; return it and the mask of filled points.

    The backtester's policy for traces with outages (the NASA log has two multi-day gaps): short
    runs (<= ``max_gap_steps``) are interpolated; longer ones take the value one season earlier,
    trying each of ``season_steps`` in order (e.g. a week, then a day), so training sees a
    plausible shape instead of a straight line across days. Missing steps at the start are taken
    from one season later, at the end they repeat one season earlier. The mask lets callers
    never score (and never place a forecast origin on) an invented point.
    """
    values = y.to_numpy(dtype=float, na_value=np.nan).copy()
    filled = np.isnan(values)
    if filled.all():
        raise InsufficientHistoryError("the series has no observed value at all")
    starts, lengths = missing_runs(filled)
    for start, length in zip(starts, lengths, strict=True):
        if length <= max_gap_steps and 0 < start and start + length < len(values):
            continue  # interpolated below
        for pos in range(int(start), int(start + length)):
            values[pos] = _seasonal_donor(values, pos=pos, season_steps=season_steps)
    out = pd.Series(values, index=y.index, name=y.name)
    out = out.interpolate(method="linear", limit_area="inside").bfill().ffill()
    return out, filled


def _seasonal_donor(values: np.ndarray, *, pos: int, season_steps: tuple[int, ...]) -> float:
    """The nearest-in-season known value for ``pos``: earlier seasons first, then later ones."""
    for season in season_steps:
        for donor in (pos - season, pos + season):
            if 0 <= donor < len(values) and not np.isnan(values[donor]):
                return float(values[donor])
    return float("nan")


def _alias(step: pd.Timedelta) -> str:
    seconds = int(step.total_seconds())
    for unit, size in (("D", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
