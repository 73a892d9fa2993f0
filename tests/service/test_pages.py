"""The HTML pages: the index and a target's chart, server-rendered from view and store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from forescale.scaler.clock import VirtualClock
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view import RecordStore, TargetStatus
from forescale.service.app import create_app
from forescale.service.pages.chart import BAND, FLOOR, LOAD, MEAN, REACTIVE
from tests.service.conftest import NOW, TARGET, UNTRAINED
from tests.service.fake_view import FakeController
from tests.service.history import daily_loads, seed


def seeded_client(
    view: FakeController, store: RecordStore, clock: VirtualClock
) -> Iterator[TestClient]:
    seed(store, TARGET, daily_loads(NOW, hours=7))
    with TestClient(create_app(view, store, settings=ApiSettings(), clock=clock)) as client:
        yield client


@pytest.fixture
def page_client(
    view: FakeController, store: RecordStore, clock: VirtualClock
) -> Iterator[TestClient]:
    yield from seeded_client(view, store, clock)


@pytest.fixture
def page_client_any_store(
    view: FakeController, any_store: RecordStore, clock: VirtualClock
) -> Iterator[TestClient]:
    yield from seeded_client(view, any_store, clock)


def test_the_target_page_draws_load_band_floor_and_reactive_in_one_svg(
    page_client_any_store: TestClient,
) -> None:
    reply = page_client_any_store.get(f"/targets/{TARGET}")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    svg = re.search(r"<svg id=\"chart\".*?</svg>", reply.text, re.S)
    assert svg is not None
    for colour in (BAND, MEAN, LOAD, FLOOR, REACTIVE):
        (path,) = re.findall(rf'<path d="(M[^"]+)"[^>]*"{colour}"', svg.group(0))
        assert path.count(" L") > 100, colour  # a real line over 6 hours of data, not a stub


def test_the_page_lists_recent_decisions_with_their_reasons(page_client: TestClient) -> None:
    text = page_client.get(f"/targets/{TARGET}?hours=1").text
    assert text.count("because p90 forecast") == 15
    assert "11:59:00" in text and "10:59:00" not in text


def test_the_page_forbids_scripts_and_remote_content(page_client: TestClient) -> None:
    reply = page_client.get(f"/targets/{TARGET}")
    assert "default-src 'none'" in reply.headers["content-security-policy"]
    assert "<script" not in reply.text and "http://" not in reply.text.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_a_target_with_no_history_says_so_instead_of_drawing_nothing(
    page_client: TestClient,
) -> None:
    text = page_client.get(f"/targets/{UNTRAINED}").text
    assert "Nothing recorded for this target in the last 6 h" in text and "<svg" not in text


def test_text_from_the_controller_is_escaped(
    view: FakeController, store: RecordStore, clock: VirtualClock
) -> None:
    original = view.targets

    def hostile() -> list[TargetStatus]:
        return [replace(t, mode_reason="<script>alert(1)</script>") for t in original()]

    view.targets = hostile  # type: ignore[method-assign]
    with TestClient(create_app(view, store, settings=ApiSettings(), clock=clock)) as client:
        text = client.get("/").text
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_index_links_every_target(page_client: TestClient, view: FakeController) -> None:
    text = page_client.get("/").text
    for status in view.targets():
        assert f'href="/targets/{status.name}"' in text


@pytest.mark.parametrize("hours", ["0", "169", "all"])
def test_a_bad_range_on_the_page_is_a_422(page_client: TestClient, hours: str) -> None:
    assert page_client.get(f"/targets/{TARGET}?hours={hours}").status_code == 422


def test_an_unknown_target_page_is_a_404(page_client: TestClient) -> None:
    assert page_client.get("/targets/shop/ghost").status_code == 404
