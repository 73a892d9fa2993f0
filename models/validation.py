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

from models.errors import (
    DuplicateTimestampsError,
    GapTooLongError,
    InsufficientHistoryError,
    InvalidSeriesError,
    IrregularIndexError,
    NegativeLoadError,
    NonFiniteValuesError,
    NonUtcIndexError,
)

__all__ = ["DEFAULT_MAX_GAP_STEPS", "check_series", "infer_step", "validate_quantiles"]

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
    if not isinstance(y, pd.Series):
        raise InvalidSeriesError(f"expected a pandas Series, got {type(y).__name__}")
    idx = y.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise InvalidSeriesError(
            f"the series needs a DatetimeIndex, got {type(idx).__name__}; "
            "parse the timestamps with pd.to_datetime(..., utc=True)"
        )
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
    values = y.to_numpy(dtype=float, na_value=np.nan)
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
    regular = _regularise(y.astype(float), step, model=model)
    regular = _fill_gaps(regular, max_gap_steps=max_gap_steps, model=model)
    if len(regular) < min_samples:
        raise InsufficientHistoryError(
            f"{model} needs at least {min_samples} observations at step {step}; got "
            f"{len(regular)}. Collect more history, or choose a model that needs less "
            "(e.g. 'seasonal_naive' or 'auto', which picks models by available history)."
        )
    return regular


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
    diffs = np.diff(idx.asi8)
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
    full = pd.date_range(idx[0], idx[-1], freq=step, tz="UTC")
    if len(full) == len(idx):
        out = y.copy()
        out.index = full
        return out
    return y.reindex(full)


def _fill_gaps(y: pd.Series, *, max_gap_steps: int, model: str) -> pd.Series:
    missing = y.isna().to_numpy()
    if not missing.any():
        return y
    run_start = None
    for i, m in enumerate(np.append(missing, False)):
        if m and run_start is None:
            run_start = i
        elif not m and run_start is not None:
            length = i - run_start
            if length > max_gap_steps or run_start == 0 or i == len(y):
                where = (
                    "at the start"
                    if run_start == 0
                    else ("at the end" if i == len(y) else f"from {y.index[run_start].isoformat()}")
                )
                raise GapTooLongError(
                    f"{model}: {length} missing step(s) {where} (the fill limit is "
                    f"{max_gap_steps} inside the series); trim the series to after the gap, "
                    "or fill it yourself (e.g. with the same time last week)"
                )
            run_start = None
    return y.interpolate(method="linear", limit_area="inside")


def _alias(step: pd.Timedelta) -> str:
    seconds = int(step.total_seconds())
    for unit, size in (("D", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
