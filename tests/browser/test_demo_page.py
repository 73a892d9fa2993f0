"""The demo's target page in headless Chromium: the real controller loop on the NASA trace.

`scaler.demo` runs the real controller (models, planner, HPA port, in-memory cluster) in virtual
time; an hour of it is replayed, then its view, store, registry and clock are served exactly as
``forescale demo`` serves them, and the chart page of its web target is screenshotted.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from forescale.scaler.config.settings import ApiSettings
from forescale.service.main import launch_api
from forescale.service.pages.chart import BAND, FLOOR, LOAD, MEAN, REACTIVE
from tests.browser.chromium import colour_count, dump_dom, read_png, screenshot

pytestmark = pytest.mark.browser

WEB = "demo/nasa-web"


def test_the_demo_target_page_shows_what_the_controller_did(chromium: str, tmp_path: Path) -> None:
    from forescale.scaler.demo import build_demo  # the real controller: imported only for this test

    demo = build_demo(days=1 / 24)
    while not demo.done:
        demo.tick()
    api = launch_api(
        view=demo.view, store=demo.store, settings=ApiSettings(host="127.0.0.1", port=0),
        registry=demo.registry, clock=demo.clock,
    )  # fmt: skip
    try:
        png = screenshot(
            chromium, f"{api.url}/targets/{WEB}", tmp_path / "demo.png", width=1100, height=1000
        )
        dom = dump_dom(chromium, f"{api.url}/targets/{WEB}")
    finally:
        api.stop()
    pixels = read_png(png)
    assert pixels.shape == (1000, 1100, 3)
    recorded = demo.store.decisions(WEB, start=demo.start, end=demo.end, limit=1000)
    assert any(d.floor is not None for d in recorded), "the demo's first hour raises a floor"
    counts = {name: colour_count(pixels, colour) for name, colour in
              {"band": BAND, "mean": MEAN, "load": LOAD, "floor": FLOOR,
               "reactive": REACTIVE}.items()}  # fmt: skip
    assert counts["band"] > 1500 and min(counts.values()) > 150, counts
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100
    # Ahead of now, the band the floor is sized on covers the whole forecast, not only the mean.
    now_x = float(re.search(r'<line x1="([\d.]+)" x2="[\d.]+" y1="\d+" y2="\d+" stroke="#6b7280"',
                            dom)[1])  # type: ignore[index]  # fmt: skip
    band = re.search(rf'<path d="([^"]+)" fill="{BAND}"', dom)[1]  # type: ignore[index]
    mean = re.search(rf'<path d="([^"]+)" fill="none" stroke="{MEAN}"', dom)[1]  # type: ignore[index]
    band_x, mean_x = xs(band), xs(mean)
    assert max(mean_x) > now_x + 100  # an hour of forecast is drawn ahead
    assert max(band_x) >= max(mean_x) - 1 and sum(x > now_x for x in band_x) > 60


def xs(path: str) -> list[float]:
    return [float(point.split(",")[0]) for point in re.findall(r"[\d.]+,[\d.]+", path)]
