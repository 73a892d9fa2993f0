"""Reading a trace argument for ``simulate`` and ``backtest``: a CSV file or ``example:NAME``.

Both commands accept the same argument and say the same things about it on stderr: how many
steps have no value (``NaN``, empty, or missing rows: each is a gap, never scored and never
filled in), and a refusal when too few values remain to replay or backtest anything.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from forescale.models.errors import DataFileError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MIN_VALUES", "load_trace_arg"]

MIN_VALUES = 60
"""Fewer measured values than this is not a trace to judge a policy or a model on."""


def load_trace_arg(text: str) -> pd.Series:
    """The series ``text`` names (``example:nasa`` or a path), with its gaps reported."""
    from forescale.models.datasets import load_example, load_trace

    if text.startswith("example:"):
        y = load_example(text.split(":", 1)[1])
    else:
        path = Path(text)
        if not path.exists():
            raise FileNotFoundError(f"trace file {path} not found")
        if path.is_dir():
            raise DataFileError(f"{path} is a directory, not a timestamp,value CSV file")
        y = load_trace(path)
    measured = int(y.notna().sum())
    if measured < MIN_VALUES:
        raise DataFileError(
            f"{text}: only {measured} measured value(s); give at least {MIN_VALUES} "
            "(an hour at a 1-minute step) so there is something to forecast and score"
        )
    missing = len(y) - measured
    if missing:
        print(  # noqa: T201 - a note for the user, beside the progress
            f"note: {text}: {missing:,} of {len(y):,} steps have no value (NaN, empty or no "
            "row): they are gaps, never scored and never filled in",
            file=sys.stderr,
        )
    return y
