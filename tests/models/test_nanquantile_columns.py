"""The vectorised column quantile used by calibration equals numpy's nanquantile."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forescale.models.calibration import nanquantile_columns

cells = st.one_of(st.just(np.nan), st.floats(min_value=-1e6, max_value=1e6))


@settings(max_examples=200, deadline=None)
@given(
    x=arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 6)), elements=cells),
    qs=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=5),
)
def test_it_matches_numpy_nanquantile_with_nans_anywhere(x: np.ndarray, qs: list[float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns warn in numpy
        expected = np.nanquantile(x, np.sort(qs), axis=0)
    got = nanquantile_columns(x, np.sort(qs))
    assert np.allclose(expected, got, equal_nan=True, rtol=1e-9, atol=1e-6)
