"""The chart page in headless Chromium, served by a real uvicorn: a real trace, drawn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.store import MemoryRecordStore
from forescale.service.app import create_app
from forescale.service.pages.chart import BAND, FLOOR, HEIGHT, LOAD, MEAN, REACTIVE, WIDTH
from forescale.service.server import ApiServer
from tests.browser.chromium import colour_count, read_png, screenshot
from tests.conftest import shared_trace
from tests.service.fake_view import FakeController
from tests.service.history import Shape, seed

pytestmark = pytest.mark.browser

TARGET = "demo/nasa-web"
SIZE = (1100, 1000)


def nasa_hours(hours: int) -> tuple[datetime, list[tuple[datetime, float]]]:
    """The NASA KSC trace's busiest day, minute by minute: ``hours`` ending at its evening."""
    y = pd.read_csv(shared_trace("nasa_kennedy_http_1995_per_minute.csv"), index_col=0)["value"]
    y.index = pd.to_datetime(y.index, utc=True)
    end = datetime(1995, 7, 13, 20, 0, tzinfo=UTC)  # STS-70 launch day, in the trace
    window = y[(y.index >= end - timedelta(hours=hours)) & (y.index < end)]
    return end, [(t.to_pydatetime(), float(v)) for t, v in window.items()]


@pytest.fixture
def server() -> Iterator[ApiServer]:
    end, loads = nasa_hours(6)
    clock = VirtualClock(end)
    view = FakeController(clock)
    view.add(TARGET, base_load=float(np.mean([v for _, v in loads])), load_per_replica=40.0)
    store = MemoryRecordStore()
    seed(store, TARGET, loads, Shape(load_per_replica=40.0))
    app = create_app(view, store, settings=ApiSettings(), clock=clock)
    with ApiServer(app, port=0) as running:
        yield running


def test_the_chart_page_renders_the_load_band_floor_and_reactive_lines(
    chromium: str, server: ApiServer, tmp_path: Path
) -> None:
    png = screenshot(
        chromium, f"{server.url}/targets/{TARGET}", tmp_path / "page.png",
        width=SIZE[0], height=SIZE[1],
    )  # fmt: skip
    pixels = read_png(png)
    assert pixels.shape == (SIZE[1], SIZE[0], 3)
    counts = {name: colour_count(pixels, colour) for name, colour in
              {"band": BAND, "mean": MEAN, "load": LOAD, "floor": FLOOR,
               "reactive": REACTIVE}.items()}  # fmt: skip
    chart_area = WIDTH * HEIGHT
    assert counts["band"] > chart_area * 0.02, counts  # a band, not a hairline
    for line in ("floor", "reactive", "load", "mean"):
        assert counts[line] > 300, (line, counts)  # a line across the chart, not a legend swatch
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100  # text and curves, not a blank
