"""DirectoryModelStore: versions, promotion and integrity on a real directory."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forescale.models.baselines import SeasonalNaive
from forescale.models.datasets import synthetic_traffic
from forescale.models.persistence import ModelCard, make_card
from forescale.scaler.errors import ConfigError, ModelNotFound, ModelStoreError
from forescale.scaler.modelstore import DirectoryModelStore, ModelStore

CREATED = datetime(2026, 11, 23, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def fitted() -> tuple[SeasonalNaive, ModelCard]:
    history = synthetic_traffic(days=4, freq="30min", seed=3)
    model = SeasonalNaive().fit(history)
    return model, make_card(model, history, created_at=CREATED, metrics={"mase": 0.8})


def later(card: ModelCard, minutes: int) -> ModelCard:
    return replace(card, created_at=card.created_at + pd.Timedelta(minutes=minutes))


def test_the_directory_store_satisfies_the_protocol(tmp_path: Path) -> None:
    assert isinstance(DirectoryModelStore(tmp_path), ModelStore)


def test_saved_versions_sort_by_time_and_only_the_promoted_one_loads_by_default(
    tmp_path: Path, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    store = DirectoryModelStore(tmp_path)
    model, card = fitted
    first = store.save("web", model, card)
    second = store.save("web", model, later(card, 60))
    assert store.versions("web") == [first, second] and store.promoted("web") is None
    with pytest.raises(ModelNotFound, match="promote one of"):
        store.load("web")
    store.promote("web", first)
    loaded, loaded_card = store.load("web")
    assert loaded_card == card and store.promoted("web") == first
    np.testing.assert_array_equal(loaded.predict(6).mean, model.predict(6).mean)
    assert store.load("web", second)[1].created_at == later(card, 60).created_at


def test_saving_the_same_card_twice_never_overwrites_a_version(
    tmp_path: Path, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    store = DirectoryModelStore(tmp_path)
    versions: list[str] = []
    threads = [
        threading.Thread(target=lambda: versions.append(store.save("web", *fitted)))
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(versions)) == 6 and sorted(versions) == store.versions("web")
    assert not list((tmp_path / "web").glob(".*tmp"))  # no temporary files left behind


def test_unknown_targets_and_versions_are_not_found(
    tmp_path: Path, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    store = DirectoryModelStore(tmp_path)
    assert store.versions("nobody") == [] and store.promoted("nobody") is None
    with pytest.raises(ModelNotFound, match="train one first"):
        store.load("nobody")
    store.save("web", *fitted)
    with pytest.raises(ModelNotFound, match="no model version"):
        store.load("web", "20990101T000000000000Z-deadbeef")
    with pytest.raises(ModelNotFound, match="stored"):
        store.promote("web", "20990101T000000000000Z-deadbeef")


@pytest.mark.parametrize("target", ["../etc", "a/b", "", ".hidden", "x" * 200])
def test_target_names_cannot_escape_the_root(tmp_path: Path, target: str) -> None:
    with pytest.raises(ConfigError, match="invalid target name"):
        DirectoryModelStore(tmp_path).versions(target)


def test_a_corrupted_model_file_is_a_store_error_not_a_crash(
    tmp_path: Path, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    store = DirectoryModelStore(tmp_path)
    version = store.save("web", *fitted)
    path = tmp_path / "web" / f"{version}.fsm"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelStoreError, match="corrupt"):
        store.load("web", version)


def test_a_store_keeps_the_newest_n_versions_and_always_the_promoted_one(
    tmp_path: Path, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    store = DirectoryModelStore(tmp_path, keep=3)
    model, card = fitted
    first = store.save("web", model, card)
    store.promote("web", first)
    saved = [first] + [store.save("web", model, later(card, 10 * n)) for n in range(1, 7)]

    assert store.versions("web") == [first, *saved[-3:]]  # 200 nightly saves stay bounded
    assert store.promoted("web") == first and store.load("web")[1] == card
    assert len(list((tmp_path / "web").glob("*.fsm"))) == 4


def test_a_card_is_read_without_the_model_and_errors_never_name_the_file(
    tmp_path: Path, fitted: tuple[SeasonalNaive, ModelCard]
) -> None:
    store = DirectoryModelStore(tmp_path)
    model, card = fitted
    version = store.save("web", model, card)
    path = tmp_path / "web" / f"{version}.fsm"
    path.write_bytes(path.read_bytes()[:-20])  # the payload cut short: the card still reads

    assert store.card("web", version) == card
    with pytest.raises(ModelStoreError) as caught:
        store.load("web", version)
    assert f"model web/{version}" in str(caught.value) and str(tmp_path) not in str(caught.value)
    with pytest.raises(ModelNotFound):
        store.card("web", "20260101T000000000000Z-00000000")
