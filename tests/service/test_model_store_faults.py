"""A damaged model store: one bad version never hides the good ones, nor leaks a file path.

A real controller (the in-memory world) and `LiveView` over a `DirectoryModelStore` holding a
good promoted version, a corrupt one (payload bytes flipped) and one whose header says
``payload_bytes: "x"``. Before the fix, /models, /models/{good} and /forecast answered 409 with
the absolute path of the bad file, and promoting the "x" one was a 500 (ValueError).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from forescale.models import persistence
from forescale.scaler.config.settings import ApiSettings
from forescale.scaler.controller.view_impl import LiveView
from forescale.scaler.modelstore import DirectoryModelStore
from forescale.scaler.modelstore.base import model_key
from forescale.scaler.store.memory import MemoryRecordStore
from forescale.service.app import create_app
from tests.scaler.controller.world import STEP, World, spec

TARGET = "shop/web"
KEY = model_key(TARGET)
OPERATOR = "operator-token-for-the-model-store-tests"


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-10:] = bytes(b ^ 0xFF for b in data[-10:])
    path.write_bytes(bytes(data))


def bad_size(path: Path) -> None:
    magic, header, payload = path.read_bytes().split(b"\n", 2)
    fields = json.loads(header)
    fields["payload_bytes"] = "x"
    path.write_bytes(magic + b"\n" + json.dumps(fields).encode() + b"\n" + payload)


@pytest.fixture
def world() -> World:
    world = World([spec("web")])
    world.run(3 * STEP)
    return world


@pytest.fixture
def store(world: World, tmp_path: Path) -> DirectoryModelStore:
    store = DirectoryModelStore(tmp_path / "models")
    current = world.controller.runtime(TARGET).model_card()
    assert current is not None
    model, card = current
    versions = [
        store.save(KEY, model, replace(card, created_at=card.created_at + n * STEP))
        for n in range(3)
    ]
    store.promote(KEY, versions[0])
    corrupt(store.root / KEY / f"{versions[1]}.fsm")
    bad_size(store.root / KEY / f"{versions[2]}.fsm")
    return store


@pytest.fixture
def client(world: World, store: DirectoryModelStore) -> TestClient:
    view = LiveView(world.controller, models=store)
    settings = ApiSettings(operator_tokens=[SecretStr(OPERATOR)])
    app = create_app(view, MemoryRecordStore(), settings=settings, clock=world.clock)
    return TestClient(app, headers={"Authorization": f"Bearer {OPERATOR}"})


def test_models_lists_every_version_and_says_which_cannot_be_used(
    client: TestClient, store: DirectoryModelStore, tmp_path: Path
) -> None:
    reply = client.get(f"/v1/targets/{TARGET}/models")

    assert reply.status_code == 200, reply.text
    good, damaged, header = reply.json()
    assert good["promoted"] and good["card"]["model"] == "seasonal_naive" and good["error"] is None
    assert damaged["card"]["model"] == "seasonal_naive"  # the card is intact; the payload is not
    assert (
        header["card"] == {} and "payload_bytes must be a non-negative integer" in header["error"]
    )
    assert str(tmp_path) not in reply.text


def test_the_good_version_and_the_forecast_still_answer(
    client: TestClient, store: DirectoryModelStore, tmp_path: Path
) -> None:
    good = store.promoted(KEY)

    one = client.get(f"/v1/targets/{TARGET}/models/{good}")
    forecast = client.get(f"/v1/targets/{TARGET}/forecast?horizon_steps=5")

    assert one.status_code == 200 and one.json()["version"] == good
    assert forecast.status_code == 200 and forecast.json()["model_version"] == good
    assert str(tmp_path) not in one.text + forecast.text


@pytest.mark.parametrize(("index", "says"), [(1, "checksum mismatch"), (2, "payload_bytes")])
def test_promoting_a_damaged_version_is_a_409_that_says_why_and_changes_nothing(
    client: TestClient, store: DirectoryModelStore, tmp_path: Path, index: int, says: str
) -> None:
    before = store.promoted(KEY)
    version = store.versions(KEY)[index]

    reply = client.post(f"/v1/targets/{TARGET}/models/{version}/promote")

    assert reply.status_code == 409, reply.text  # not a 500
    assert says in reply.json()["detail"] and f"{KEY}/{version}" in reply.json()["detail"]
    assert str(tmp_path) not in reply.text
    assert store.promoted(KEY) == before


def test_listing_models_and_forecasting_unpickle_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> object:
        raise AssertionError("a model was unpickled to serve a read")

    monkeypatch.setattr(persistence, "loads", refuse)
    monkeypatch.setattr(persistence._Unpickler, "load", refuse)  # noqa: SLF001

    assert client.get(f"/v1/targets/{TARGET}/models").status_code == 200
    assert client.get(f"/v1/targets/{TARGET}/forecast?horizon_steps=5").status_code == 200
