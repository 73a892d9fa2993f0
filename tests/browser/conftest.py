"""Browser-test fixtures: the Chromium binary (required in CI)."""

from __future__ import annotations

import pytest

from tests.browser.chromium import binary
from tests.conftest import require


@pytest.fixture(scope="session")
def chromium() -> str:
    path = binary()
    require("headless Chromium", path is not None, "no chromium; apt-get install chromium")
    assert path is not None
    return path
