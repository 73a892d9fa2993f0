"""Bad input gets a typed error that says how to fix it; short gaps are filled, long refused."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

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
from forescale.models.registry import make_forecaster
from forescale.models.validation import (
    DEFAULT_MAX_GAP_STEPS,
    check_series,
    fill_long_gaps,
    regularise,
)


def series(n: int = 48, *, freq: str = "5min", unit: str = "ns") -> pd.Series:
    idx = pd.date_range("2024-03-01", periods=n, freq=freq, tz="UTC", unit=unit)
    return pd.Series(np.arange(n, dtype=float) + 10, index=idx)


def test_a_clean_series_comes_back_regular_in_float_and_utc() -> None:
    out = check_series(series().astype(int))
    assert out.dtype == float and str(out.index.tz) == "UTC"
    assert out.index.freq == pd.Timedelta("5min")


def test_microsecond_indexes_from_pandas_3_parsing_are_accepted() -> None:
    out = check_series(series(unit="us"))
    assert len(out) == 48 and out.index.unit == "ns"


@pytest.mark.parametrize(
    ("mutate", "error", "hint"),
    [
        (lambda y: y.tz_localize(None), NonUtcIndexError, "tz_localize"),
        (lambda y: y.tz_convert("Europe/Paris"), NonUtcIndexError, "tz_convert"),
        (lambda y: pd.concat([y, y.iloc[[3]]]).sort_index(), DuplicateTimestampsError, "groupby"),
        (lambda y: y.iloc[::-1], IrregularIndexError, "sort_index"),
        (
            lambda y: y.set_axis(
                y.index + pd.Timedelta("1min") * (np.arange(len(y)) == 5).astype(int)
            ),
            IrregularIndexError,
            "resample",
        ),
        (lambda y: y.where(y.index != y.index[7], np.inf), NonFiniteValuesError, "infinite"),
        (lambda y: y.where(y.index != y.index[7], -1.0), NegativeLoadError, "rate()"),
        (
            lambda y: y.astype(str).where(y.index != y.index[2], "x"),
            InvalidSeriesError,
            "to_numeric",
        ),
        (lambda y: y.reset_index(drop=True), InvalidSeriesError, "DatetimeIndex"),
    ],
    ids=[
        "naive",
        "not-utc",
        "duplicate",
        "unsorted",
        "off-grid",
        "inf",
        "negative",
        "text",
        "no-datetime-index",
    ],
)
def test_bad_input_raises_a_typed_error_with_a_fix(
    mutate: Callable[[pd.Series], pd.Series], error: type[Exception], hint: str
) -> None:
    with pytest.raises(error) as info:
        check_series(mutate(series()))
    assert hint in str(info.value)


def test_short_gaps_are_interpolated_and_long_ones_refused_with_a_fix() -> None:
    y = series(100)
    short = y.drop(y.index[10 : 10 + DEFAULT_MAX_GAP_STEPS])
    filled = check_series(short)
    assert len(filled) == 100
    np.testing.assert_allclose(filled.to_numpy(), y.to_numpy())  # a straight line
    long = y.drop(y.index[10 : 11 + DEFAULT_MAX_GAP_STEPS])
    with pytest.raises(GapTooLongError, match="fill_long_gaps"):
        check_series(long)


def test_missing_values_at_either_end_are_not_invented() -> None:
    y = series()
    y.iloc[-2:] = np.nan
    with pytest.raises(GapTooLongError, match="at the end"):
        check_series(y)
    y = series()
    y.iloc[0] = np.nan
    with pytest.raises(GapTooLongError, match="at the start"):
        check_series(y)


def test_too_short_history_names_the_model_and_what_it_needs() -> None:
    with pytest.raises(InsufficientHistoryError, match=r"ridge needs at least \d+ observations"):
        make_forecaster("ridge").fit(series(40))


def test_regularise_keeps_gaps_visible_as_nan() -> None:
    y = series(30).drop(series(30).index[5:20])
    out = regularise(y)
    assert len(out) == 30 and out.isna().sum() == 15


def test_long_gaps_are_filled_from_the_same_time_a_season_earlier_and_masked() -> None:
    day = 288
    idx = pd.date_range("2024-03-01", periods=3 * day, freq="5min", tz="UTC")
    profile = np.tile(np.sin(np.linspace(0, 2 * np.pi, day, endpoint=False)) + 2, 3)
    y = pd.Series(profile, index=idx)
    y.iloc[2 * day + 10 : 2 * day + 100] = np.nan  # a 7.5-hour outage on day 3
    y.iloc[50:53] = np.nan  # a short one
    filled, mask = fill_long_gaps(y, season_steps=(day,))
    np.testing.assert_allclose(
        filled.to_numpy()[2 * day + 10 : 2 * day + 100], profile[day + 10 : day + 100]
    )
    assert mask.sum() == 93 and not filled.isna().any()
