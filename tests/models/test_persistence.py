"""Saved models come back identical with their card; anything else is refused clearly."""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forescale.models.datasets import synthetic_traffic
from forescale.models.errors import ModelFileError
from forescale.models.level import LevelTrend
from forescale.models.persistence import (
    MAGIC,
    LibraryVersionWarning,
    ModelCard,
    card_of,
    dumps,
    fingerprint,
    load,
    loads,
    make_card,
    read_card,
    save,
)

CREATED = datetime(2024, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> pd.Series:
    return synthetic_traffic(days=2, freq="30min", seed=9)


@pytest.fixture(scope="module")
def saved(history: pd.Series) -> tuple[LevelTrend, ModelCard, bytes]:
    model = LevelTrend().fit(history)
    card = make_card(model, history, created_at=CREATED, metrics={"mase": 0.5})
    return model, card, dumps(model, card)


def test_a_saved_model_loads_with_its_card_and_forecasts_the_same(
    tmp_path: Path, saved: tuple[LevelTrend, ModelCard, bytes], history: pd.Series
) -> None:
    model, card, _ = saved
    path = tmp_path / "web.fsm"
    save(path, model, card)
    loaded, loaded_card = load(path)
    assert loaded_card == card == read_card(path)
    np.testing.assert_array_equal(loaded.predict(6).mean, model.predict(6).mean)
    assert card.model == "level" and card.params["level_half_life"] == "10min"
    assert card.train_end == history.index[-1] and card.n_obs == len(history)
    assert card.step_seconds == 1800 and card.metrics == {"mase": 0.5}
    assert {"numpy", "pandas", "scikit-learn", "statsmodels", "python"} <= set(
        card.library_versions
    )
    assert card.data_sha256 == fingerprint(history) != fingerprint(history * 2)


def test_the_card_is_plain_json_in_the_file_header(
    saved: tuple[LevelTrend, ModelCard, bytes],
) -> None:
    header = json.loads(saved[2].split(b"\n")[1])
    assert header["card"]["created_at"] == "2024-03-01T12:00:00+00:00"


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"not": "ours"}))
    with pytest.raises(ModelFileError, match="not a Forescale model file"):
        load(path)


@pytest.mark.parametrize("keep", [20, 60, -1])
def test_a_truncated_file_is_refused(saved: tuple[LevelTrend, ModelCard, bytes], keep: int) -> None:
    with pytest.raises(ModelFileError, match="truncated"):
        loads(saved[2][:keep])


def test_a_flipped_byte_in_the_payload_is_detected(
    saved: tuple[LevelTrend, ModelCard, bytes],
) -> None:
    data = bytearray(saved[2])
    data[-100] ^= 0xFF
    with pytest.raises(ModelFileError, match="corrupt"):
        loads(bytes(data))


def test_a_damaged_header_is_refused(saved: tuple[LevelTrend, ModelCard, bytes]) -> None:
    lines = saved[2].split(b"\n", 2)
    broken = lines[0] + b"\n" + lines[1][:-5] + b"\n" + lines[2]
    with pytest.raises(ModelFileError, match="corrupt header"):
        loads(broken)


def test_another_format_version_is_refused_with_a_fix(
    saved: tuple[LevelTrend, ModelCard, bytes],
) -> None:
    data = MAGIC + b"99" + saved[2][len(MAGIC) + 1 :]
    with pytest.raises(ModelFileError, match="Retrain"):
        loads(data)


def test_a_checked_file_holding_something_else_is_refused(
    saved: tuple[LevelTrend, ModelCard, bytes],
) -> None:
    card = saved[1]
    payload = pickle.dumps([1, 2, 3])

    header = {
        "card": card.to_json(),
        "payload_bytes": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    forged = MAGIC + b"1\n" + json.dumps(header).encode() + b"\n" + payload
    with pytest.raises(ModelFileError, match="holds a list, not a forecaster"):
        loads(forged)


def test_loading_under_other_library_versions_warns(
    saved: tuple[LevelTrend, ModelCard, bytes],
) -> None:
    model, card, _ = saved
    old = replace(card, library_versions={**card.library_versions, "scikit-learn": "0.1"})
    with pytest.warns(LibraryVersionWarning, match="scikit-learn 0.1 ->"):
        loaded, _ = loads(dumps(model, old))
    assert loaded.is_fitted()


def test_only_fitted_models_get_a_card(history: pd.Series) -> None:
    with pytest.raises(ModelFileError, match="fit"):
        make_card(LevelTrend(), history, created_at=CREATED)
    with pytest.raises(ValueError, match="timezone"):
        make_card(LevelTrend().fit(history), history, created_at=datetime(2024, 3, 1))


def test_a_model_saved_before_the_forescale_namespace_still_loads(
    monkeypatch: pytest.MonkeyPatch, history: pd.Series
) -> None:
    """Stores written by 0.1.0 pickled ``models.level.LevelTrend``: they must survive the move
    of the packages under ``forescale.``."""
    import sys
    import types

    import forescale.models.level as level_module

    model = LevelTrend().fit(history)
    card = make_card(model, history, created_at=CREATED)
    with monkeypatch.context() as m:  # pickle the class under its old, top-level module path
        m.setitem(sys.modules, "models", types.ModuleType("models"))
        m.setitem(sys.modules, "models.level", level_module)
        m.setattr(LevelTrend, "__module__", "models.level")
        data = dumps(model, card)
    assert b"models.level" in data and b"forescale.models.level" not in data
    assert "models" not in sys.modules and "models.level" not in sys.modules
    loaded, _ = loads(data)
    assert type(loaded) is LevelTrend
    np.testing.assert_array_equal(loaded.predict(6).mean, model.predict(6).mean)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("payload_bytes", "x", "payload_bytes must be a non-negative integer"),
        ("payload_bytes", -1, "payload_bytes must be a non-negative integer"),
        ("payload_bytes", True, "payload_bytes must be a non-negative integer"),
        ("payload_sha256", 12, "payload_sha256 must be 64 lowercase hex digits"),
        ("card", [], "the card must be a JSON object"),
    ],
)
def test_a_header_field_of_the_wrong_type_is_a_model_file_error_not_a_value_error(
    saved: tuple[LevelTrend, ModelCard, bytes], field: str, value: object, says: str
) -> None:
    _, _, data = saved
    magic, header, payload = data.split(b"\n", 2)
    fields = json.loads(header)
    fields[field] = value
    edited = magic + b"\n" + json.dumps(fields).encode() + b"\n" + payload

    for read in (loads, card_of):
        with pytest.raises(ModelFileError, match=f"corrupt header.*{says}"):
            read(edited, source="model web/v1")
