"""`DirectoryModelStore`: models as files under one directory, written atomically.

Layout::

    ROOT/<target>/<version>.fsm     one model file per version (models.persistence format)
    ROOT/<target>/PROMOTED          the promoted version's name

Versions are ``<created_at UTC, microseconds>-<first 8 hex of the data fingerprint>``, so they
sort by creation time and two saves never share a name (an existing name gets ``-2``, ``-3``).
Every write goes to a temporary file in the same directory and is renamed into place (``link``
for versions, so an existing version is never overwritten; ``replace`` for PROMOTED), so a reader
in another process sees a complete file or none, and a crash leaves no half-written model.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from forescale.models.base import BaseForecaster
from forescale.models.errors import ModelFileError
from forescale.models.persistence import ModelCard, atomic_write, dumps, loads
from forescale.scaler.errors import ConfigError, ModelNotFound, ModelStoreError

__all__ = ["DirectoryModelStore"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SUFFIX = ".fsm"
_PROMOTED = "PROMOTED"


class DirectoryModelStore:
    """`ModelStore` on a directory (a local disk or a mounted volume)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def save(self, target: str, model: BaseForecaster, card: ModelCard) -> str:
        folder = self._folder(target)
        data = dumps(model, card)
        stem = f"{card.created_at:%Y%m%dT%H%M%S%fZ}-{card.data_sha256[:8]}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".saving-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                return self._publish(Path(tmp), folder=folder, stem=stem)
            finally:
                Path(tmp).unlink(missing_ok=True)
        except OSError as exc:
            raise ModelStoreError(f"cannot save a model for {target!r} in {folder}: {exc}") from exc

    def load(self, target: str, version: str | None = None) -> tuple[BaseForecaster, ModelCard]:
        if version is None:
            version = self.promoted(target)
            if version is None:
                stored = self.versions(target)
                hint = f"promote one of {stored}" if stored else "train one first"
                raise ModelNotFound(f"no promoted model for target {target!r}; {hint}")
        path = self._path(target, version)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ModelNotFound(f"target {target!r} has no model version {version!r}") from None
        except OSError as exc:
            raise ModelStoreError(f"cannot read {path}: {exc}") from exc
        try:
            return loads(data, source=str(path))
        except ModelFileError as exc:
            raise ModelStoreError(str(exc)) from exc

    def versions(self, target: str) -> list[str]:
        folder = self._folder(target)
        if not folder.is_dir():
            return []
        return sorted(p.name[: -len(_SUFFIX)] for p in folder.glob(f"*{_SUFFIX}"))

    def promote(self, target: str, version: str) -> None:
        path = self._path(target, version)
        if not path.is_file():
            raise ModelNotFound(
                f"target {target!r} has no model version {version!r}; "
                f"stored: {self.versions(target)}"
            )
        try:
            atomic_write(self._folder(target) / _PROMOTED, version.encode() + b"\n")
        except OSError as exc:
            raise ModelStoreError(f"cannot promote {version!r} for {target!r}: {exc}") from exc

    def promoted(self, target: str) -> str | None:
        marker = self._folder(target) / _PROMOTED
        try:
            version = marker.read_text().strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ModelStoreError(f"cannot read {marker}: {exc}") from exc
        return version or None

    # -- internals --------------------------------------------------------------------------
    def _folder(self, target: str) -> Path:
        if not _NAME.fullmatch(target) or ".." in target:
            raise ConfigError(
                f"invalid target name {target!r}: use letters, digits, '.', '_' and '-' "
                "(at most 128, starting with a letter or digit)"
            )
        return self.root / target

    def _path(self, target: str, version: str) -> Path:
        if not _NAME.fullmatch(version) or ".." in version:
            raise ModelNotFound(f"invalid model version {version!r} for target {target!r}")
        return self._folder(target) / f"{version}{_SUFFIX}"

    @staticmethod
    def _publish(tmp: Path, *, folder: Path, stem: str) -> str:
        """Hard-link the finished file under the first free version name (atomic, no overwrite)."""
        for n in range(1, 1000):
            version = stem if n == 1 else f"{stem}-{n}"
            try:
                os.link(tmp, folder / f"{version}{_SUFFIX}")
            except FileExistsError:
                continue
            return version
        raise ModelStoreError(f"too many models saved in {folder} for {stem}")
