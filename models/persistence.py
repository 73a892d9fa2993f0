"""Save and load fitted models with a model card.

File format (one file, so a model and its card can never be separated)::

    FORESCALE-MODEL 1\\n
    {"card": {...}, "payload_bytes": N, "payload_sha256": "..."}\\n
    <N bytes: pickle of the fitted estimator>

The card (`ModelCard`) is readable without unpickling (`read_card`), so stores and the API can
list models cheaply. Loading refuses, with `ModelFileError`, anything that is not this format
(foreign file), was cut short (truncated), or whose payload does not match its checksum
(corrupt); a model pickled under other library versions loads with a `LibraryVersionWarning`,
because scikit-learn/statsmodels objects are not guaranteed to survive version changes.

Pickle runs code when loaded: the checksum detects accidents, not attacks. Load only files your
own training job wrote (the same rule as scikit-learn's and joblib's).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import platform
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from forescale.models.base import BaseForecaster
from forescale.models.errors import ModelFileError

__all__ = [
    "CARD_READ_BYTES",
    "LibraryVersionWarning",
    "ModelCard",
    "card_of",
    "dumps",
    "fingerprint",
    "library_versions",
    "load",
    "loads",
    "make_card",
    "read_card",
    "save",
]

MAGIC = b"FORESCALE-MODEL "
FORMAT_VERSION = 1
_LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "forescale")


class LibraryVersionWarning(UserWarning):
    """The model was saved under other library versions; check its forecasts before trusting."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelCard:
    """What a saved model is, what it learned from, and how well it did."""

    model: str
    params: dict[str, Any]
    train_start: datetime
    train_end: datetime
    step_seconds: float
    n_obs: int
    data_sha256: str
    created_at: datetime
    metrics: dict[str, float] = field(default_factory=dict)
    library_versions: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("train_start", "train_end", "created_at"):
            data[key] = cast(datetime, data[key]).isoformat()
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelCard:
        try:
            return cls(
                model=str(data["model"]),
                params=dict(data["params"]),
                train_start=_utc(data["train_start"]),
                train_end=_utc(data["train_end"]),
                step_seconds=float(data["step_seconds"]),
                n_obs=int(data["n_obs"]),
                data_sha256=str(data["data_sha256"]),
                created_at=_utc(data["created_at"]),
                metrics={str(k): float(v) for k, v in dict(data.get("metrics", {})).items()},
                library_versions=dict(data.get("library_versions", {})),
                notes=tuple(data.get("notes", ())),
                format_version=int(data.get("format_version", FORMAT_VERSION)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"the model card is incomplete or malformed: {exc!r}") from exc


def library_versions() -> dict[str, str]:
    """Versions of the libraries a pickled model depends on, plus Python's."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def fingerprint(y: pd.Series) -> str:
    """sha256 of the timestamps (ns) and values (float64) of ``y``: which data trained a model."""
    idx = cast(pd.DatetimeIndex, y.index).as_unit("ns").asi8.astype("<i8")
    digest = hashlib.sha256(idx.tobytes())
    digest.update(np.asarray(y.to_numpy(dtype=float, na_value=np.nan), dtype="<f8").tobytes())
    return digest.hexdigest()


def make_card(
    model: BaseForecaster,
    y: pd.Series,
    *,
    created_at: datetime,
    metrics: dict[str, float] | None = None,
) -> ModelCard:
    """The card of ``model`` fitted on ``y``; ``created_at`` is passed in (no clock here)."""
    if not model.is_fitted():
        raise ModelFileError("only a fitted model can be saved: call fit(y) first")
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware (UTC)")
    return ModelCard(
        model=model.name,
        params=_jsonable(model.get_params(deep=False)),
        train_start=model.train_start_.to_pydatetime(),
        train_end=model.train_end_.to_pydatetime(),
        step_seconds=float(model.freq_.total_seconds()),
        n_obs=int(model.n_obs_),
        data_sha256=fingerprint(y),
        created_at=created_at,
        metrics=dict(metrics or {}),
        library_versions=library_versions(),
        notes=tuple(getattr(model, "notes_", ())),
    )


def dumps(model: BaseForecaster, card: ModelCard) -> bytes:
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "card": card.to_json(),
        "payload_bytes": len(payload),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    head = json.dumps(header, sort_keys=True).encode()
    return MAGIC + str(FORMAT_VERSION).encode() + b"\n" + head + b"\n" + payload


def loads(data: bytes, *, source: str = "model file") -> tuple[BaseForecaster, ModelCard]:
    """Check and unpickle a model; `ModelFileError` for anything but an intact model file."""
    header, offset = _read_header(data, source=source)
    payload = data[offset:]
    expected = int(header["payload_bytes"])
    if len(payload) != expected:
        raise ModelFileError(
            f"{source} is truncated or has trailing data: payload is {len(payload)} bytes, "
            f"the header says {expected}; save the model again"
        )
    if hashlib.sha256(payload).hexdigest() != header["payload_sha256"]:
        raise ModelFileError(f"{source} is corrupt (checksum mismatch); save the model again")
    card = ModelCard.from_json(header["card"])
    try:
        model = _Unpickler(io.BytesIO(payload)).load()  # our own checked file; see the docstring
    except Exception as exc:  # unpickling can raise anything a constructor raises
        raise ModelFileError(f"{source} cannot be unpickled here: {exc!r}") from exc
    if not isinstance(model, BaseForecaster):
        raise ModelFileError(f"{source} holds a {type(model).__name__}, not a forecaster")
    _warn_on_version_change(card, source=source)
    return model, card


class _Unpickler(pickle.Unpickler):
    """Loads models saved before the packages moved under ``forescale.`` (0.1.0 and earlier
    pickled ``models.ridge.RidgeForecaster``): stores outlive upgrades, so the old module paths
    are read as the new ones instead of failing with ``No module named 'models'``."""

    def find_class(self, module: str, name: str) -> Any:
        if module.split(".", 1)[0] in _OLD_TOP_LEVEL:
            module = f"forescale.{module}"
        return super().find_class(module, name)


_OLD_TOP_LEVEL = frozenset({"models", "scaler"})


CARD_READ_BYTES = 1 << 16
"""Bytes read to find a card: far more than any card's JSON header takes (about 1-2 KB)."""


def read_card(path: str | Path, *, source: str | None = None) -> ModelCard:
    """The card of a saved model, without unpickling it (nor reading the payload)."""
    with open(path, "rb") as fh:
        head = fh.read(CARD_READ_BYTES)
    return card_of(head, source=source or str(path))


def card_of(head: bytes, *, source: str = "model file") -> ModelCard:
    """The card in the first bytes of a model file (`CARD_READ_BYTES` always suffice)."""
    header, _ = _read_header(head, source=source)
    return ModelCard.from_json(header["card"])


def save(path: str | Path, model: BaseForecaster, card: ModelCard) -> None:
    """Write atomically: readers see the old file or the new one, never half of one."""
    atomic_write(Path(path), dumps(model, card))


def load(path: str | Path) -> tuple[BaseForecaster, ModelCard]:
    data = Path(path).read_bytes()
    return loads(data, source=str(path))


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_header(data: bytes, *, source: str) -> tuple[dict[str, Any], int]:
    if not data.startswith(MAGIC):
        raise ModelFileError(
            f"{source} is not a Forescale model file (no FORESCALE-MODEL header); "
            "save models with forescale.models.persistence.save()"
        )
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1)
    if first < 0 or second < 0:
        raise ModelFileError(f"{source} is truncated (header incomplete); save the model again")
    version = data[len(MAGIC) : first].decode(errors="replace")
    if version != str(FORMAT_VERSION):
        raise ModelFileError(
            f"{source} has model format {version!r}; this Forescale reads format "
            f"{FORMAT_VERSION}. Retrain the model with this version"
        )
    try:
        header = json.loads(data[first + 1 : second])
        if not isinstance(header, dict) or not {"card", "payload_bytes", "payload_sha256"} <= set(
            header
        ):
            raise ValueError("missing keys")
        _check_header_types(header)
    except ValueError as exc:
        raise ModelFileError(
            f"{source} has a corrupt header ({exc}); save the model again"
        ) from exc
    return header, second + 1


def _check_header_types(header: dict[str, Any]) -> None:
    """A header of the right shape: a hand-edited or damaged one fails here, as a model file
    error, instead of as a ValueError deep in loading (a cycle failure, a 500 on promote)."""
    size, digest = header["payload_bytes"], header["payload_sha256"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"payload_bytes must be a non-negative integer, not {size!r}")
    if not isinstance(digest, str) or len(digest) != 64 or digest.strip("0123456789abcdef"):
        raise ValueError("payload_sha256 must be 64 lowercase hex digits")
    if not isinstance(header["card"], dict):
        raise ValueError("the card must be a JSON object")


def _warn_on_version_change(card: ModelCard, *, source: str) -> None:
    now = library_versions()
    changed = {
        name: (saved, now.get(name, "unknown"))
        for name, saved in card.library_versions.items()
        if now.get(name, "unknown") != saved
    }
    if changed:
        detail = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in sorted(changed.items()))
        warnings.warn(
            f"{source} was saved under other library versions ({detail}); forecasts may "
            "differ: retrain, or check a backtest before trusting it",
            LibraryVersionWarning,
            stacklevel=3,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseForecaster):
        return {"model": value.name, "params": _jsonable(value.get_params(deep=False))}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _utc(text: str) -> datetime:
    stamp = datetime.fromisoformat(str(text))
    if stamp.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return stamp
