"""Details of the pages as Chromium renders them: Swagger UI with no network, the index page
reloading itself, the load line broken where nothing was recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import TargetStatus
from forescale.scaler.store import MemoryRecordStore
from forescale.service.app import create_app
from forescale.service.pages.chart import LOAD
from forescale.service.server import ApiServer
from tests.browser.chromium import dump_dom, run_for
from tests.service.fake_view import FakeController
from tests.service.history import decision

pytestmark = pytest.mark.browser

TARGET = "shop/checkout"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class CountingController(FakeController):
    """Counts how often a page asked for the targets (each index render asks once)."""

    listed = 0

    def targets(self) -> list[TargetStatus]:
        self.listed += 1
        return super().targets()


@pytest.fixture
def served() -> Iterator[tuple[str, CountingController, MemoryRecordStore]]:
    clock = VirtualClock(NOW)
    view = CountingController(clock)
    view.add(TARGET)
    store = MemoryRecordStore()
    app = create_app(view, store, settings=ApiSettings(), clock=clock)
    with ApiServer(app, port=0) as running:
        yield running.url, view, store


def test_swagger_ui_renders_the_operations_with_no_network(
    chromium: str, served: tuple[str, CountingController, MemoryRecordStore]
) -> None:
    url, _, _ = served
    dom = dump_dom(chromium, f"{url}/docs", settle_ms=10_000)
    assert "/docs/assets/swagger-ui-bundle.js" in dom and "cdn" not in dom.lower()
    assert 'class="opblock' in dom  # Swagger UI ran and drew the operations
    assert "/v1/targets/{namespace}/{name}/plan" in dom


def test_the_index_page_reloads_itself(
    chromium: str, served: tuple[str, CountingController, MemoryRecordStore]
) -> None:
    url, view, _ = served
    run_for(chromium, f"{url}/", seconds=8)
    assert view.listed >= 3  # loaded, then reloaded (virtual time runs the timer ahead)


def test_the_load_line_breaks_where_no_decision_was_recorded(
    chromium: str, served: tuple[str, CountingController, MemoryRecordStore]
) -> None:
    url, _, store = served
    start = NOW - timedelta(hours=1)
    minutes = [m for m in range(60) if not 20 <= m < 27]  # nothing recorded for 7 minutes
    for m in minutes:
        at = start + timedelta(minutes=m)
        store.record_decision(decision(TARGET, at, load=100.0 + m, floor=3, reactive=2))

    dom = dump_dom(chromium, f"{url}/targets/{TARGET}?hours=1")
    (load,) = re.findall(rf'<path d="([^"]+)" fill="none" stroke="{LOAD}"', dom)
    runs = load.split("M")[1:]
    assert len(runs) == 2, load  # before: one line drawn straight across the hole
    assert [len(r.split(" L")) for r in runs] == [20, 33]
