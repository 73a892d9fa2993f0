"""Typed errors of the forecasting layer.

Every message says what was wrong *and how to fix it*, because these errors reach SREs through the
CLI and the API. All derive from `ForecastError` so callers can catch the family in one place.
"""

from __future__ import annotations


class ForecastError(Exception):
    """Root of every error raised by `models`."""


class InvalidSeriesError(ForecastError, ValueError):
    """The input series cannot be used as it is (index, values or length)."""


class IrregularIndexError(InvalidSeriesError):
    """Timestamps are not on one regular step."""


class DuplicateTimestampsError(InvalidSeriesError):
    """The same timestamp appears more than once."""


class NonUtcIndexError(InvalidSeriesError):
    """The index is not a tz-aware UTC DatetimeIndex."""


class GapTooLongError(InvalidSeriesError):
    """A run of missing steps is longer than the fill policy allows."""


class NonFiniteValuesError(InvalidSeriesError):
    """NaN or infinite values where the policy does not allow them."""


class NegativeLoadError(InvalidSeriesError):
    """Load cannot be negative."""


class InsufficientHistoryError(InvalidSeriesError):
    """Too few observations for the chosen model."""


class NotFittedError(ForecastError, RuntimeError):
    """`predict` was called before `fit`."""


class ModelFitError(ForecastError, RuntimeError):
    """The model could not be fitted (numerical failure, degenerate data)."""


class ModelFileError(ForecastError, ValueError):
    """A saved model file is corrupt, foreign, or from an incompatible format."""


class DataFileError(ForecastError, ValueError):
    """A trace file (CSV) is malformed; the message names the line and the problem."""


class UnknownModelError(ForecastError, ValueError):
    """No forecaster is registered under this name; the message lists the registered ones."""
