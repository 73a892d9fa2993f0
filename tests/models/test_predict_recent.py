"""`predict_recent` (the controller's array path, issue 14 item 1) gives exactly what `predict`
gives with the same context as a Series: the same numbers bit for bit, or the same error.

Each model is fitted on four days at 5 minutes; contexts continue (or overlap) the training data
the way the controller's history does, and the odd ones (a gap after the training end, a
negative or infinite value, a context ending before the training data, another grid) must take
`predict`'s own path and fail the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forescale.models.base import BaseForecaster, Forecast
from forescale.models.datasets import synthetic_traffic
from forescale.models.registry import make_forecaster

STEP_NS = 5 * 60 * 10**9
TRAIN = 1152
"""Four days of training data (``auto`` calibrates its quantiles on a held-out tail)."""


@pytest.fixture(scope="module")
def load() -> pd.Series:
    return synthetic_traffic(days=6, freq="5min", seed=7)


@pytest.fixture(scope="module", params=["auto", "seasonal_naive", "level", "fft", "ridge"])
def fitted(request: pytest.FixtureRequest, load: pd.Series) -> BaseForecaster:
    model: BaseForecaster = make_forecaster(request.param).fit(load.iloc[:TRAIN])
    return model


def _both(
    model: BaseForecaster, values: np.ndarray, start_ns: int, step_ns: int = STEP_NS
) -> tuple[Forecast | str, Forecast | str]:
    index = pd.DatetimeIndex((np.arange(len(values)) * step_ns + start_ns).view("M8[ns]"))
    context = pd.Series(values, index=index.tz_localize("UTC"))
    outcomes: list[Forecast | str] = []
    for call in (
        lambda: model.predict(12, quantiles=(0.1, 0.9), context=context),
        lambda: model.predict_recent(
            12, quantiles=(0.1, 0.9), values=values, start_ns=start_ns, step_ns=step_ns
        ),  # fmt: skip
    ):
        try:
            outcomes.append(call())
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            outcomes.append(f"{type(exc).__name__}: {exc}")
    return outcomes[0], outcomes[1]


def _same(a: Forecast | str, b: Forecast | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert a.index.equals(b.index) and a.index.freq == b.index.freq
    assert a.mean.tobytes() == b.mean.tobytes()
    assert sorted(a.quantiles) == sorted(b.quantiles)
    for q in a.quantiles:
        assert a.quantiles[q].tobytes() == b.quantiles[q].tobytes()
    assert (a.model, a.notes) == (b.model, b.notes)


@pytest.mark.parametrize(
    ("first", "length", "edit"),
    [
        (TRAIN, 30, None),  # the steady case: everything after the training end
        (TRAIN - 16, 46, None),  # overlapping the training data
        (TRAIN - 1, 1, None),  # only the training end: nothing new
        (TRAIN + 1, 20, None),  # starts one step late: a gap after the training end
        (TRAIN, 30, ("nan", 10)),
        (TRAIN, 30, ("neg", 5)),
        (TRAIN, 30, ("inf", 29)),
        (TRAIN - 100, 30, None),  # ends before the training data
    ],
)
def test_the_array_path_forecasts_exactly_what_predict_does(
    fitted: BaseForecaster, load: pd.Series, first: int, length: int,
    edit: tuple[str, int] | None,
) -> None:  # fmt: skip
    values = load.to_numpy(dtype=float)[first : first + length].copy()
    if edit is not None:
        kind, at = edit
        values[at] = {"nan": np.nan, "neg": -1.0, "inf": np.inf}[kind]
    start_ns = int(load.index[first].value)
    _same(*_both(fitted, values, start_ns))


def test_a_context_on_another_grid_fails_as_predict_does(fitted: BaseForecaster,
                                                         load: pd.Series) -> None:  # fmt: skip
    values = load.to_numpy(dtype=float)[TRAIN : TRAIN + 24].copy()
    _same(*_both(fitted, values, int(load.index[TRAIN].value) + 60 * 10**9))
    _same(*_both(fitted, values, int(load.index[TRAIN].value), step_ns=2 * STEP_NS))
