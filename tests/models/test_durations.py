"""One duration parser for model hyperparameters, CLI flags and target specs: every form that
either of the two former parsers accepted is accepted, and every mistake either refused is
refused, with the CLI's message."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from forescale.models.durations import format_duration, parse_duration
from forescale.models.registry import make_forecaster
from forescale.models.validation import to_timedelta
from forescale.scaler import units

BAD_FORM = "use a number and a unit s, m, h or d, e.g. 90s, 5m, 6h, 14d"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("5min", 300),  # pandas' spelling, which model hyperparameters used
        ("5M", 300),
        (" 6 h ", 6 * 3600),
        ("14d", 14 * 86400),
        ("2w", 2 * 604800),
        ("1.5h", 5400),
        ("0.5s", 0.5),
    ],
)
def test_every_accepted_form_means_the_same_to_the_scaler_and_the_models(
    text: str, seconds: float
) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert to_timedelta(text) == pd.Timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5m", "duration '-5m' must be positive, e.g. 5m"),
        ("0m", "duration '0m' must be positive, e.g. 5m"),
        ("0.0h", "duration '0.0h' must be positive, e.g. 5m"),
        ("5x", f"invalid duration '5x': {BAD_FORM}"),
        ("5", f"invalid duration '5': {BAD_FORM}"),
        ("fortnight", f"invalid duration 'fortnight': {BAD_FORM}"),
        ("5 mins", f"invalid duration '5 mins': {BAD_FORM}"),
        ("", f"invalid duration '': {BAD_FORM}"),
    ],
)
def test_every_refused_form_is_refused_by_both_with_one_message(text: str, message: str) -> None:
    for parse in (parse_duration, to_timedelta):
        with pytest.raises(ValueError) as refused:
            parse(text)
        assert str(refused.value) == message


def test_a_timedelta_passes_through_and_durations_format_shortest_first() -> None:
    assert to_timedelta(pd.Timedelta("7D")) == pd.Timedelta("7D")
    assert [format_duration(timedelta(seconds=s)) for s in (300, 5400, 86400, 90)] == [
        "5m",
        "90m",
        "1d",
        "90s",
    ]


def test_the_scaler_uses_the_models_parser() -> None:
    assert units.parse_duration is parse_duration
    assert units.format_duration is format_duration


def test_a_model_refuses_a_zero_half_life_instead_of_dividing_by_it() -> None:
    index = pd.date_range("2024-01-01", periods=200, freq="5min", tz="UTC")
    y = pd.Series(100.0, index=index)
    with pytest.raises(ValueError, match="duration '0m' must be positive"):
        make_forecaster("level", level_half_life="0m").fit(y)
