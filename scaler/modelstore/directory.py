"""`DirectoryModelStore`: models as files under one directory, written atomically.

Layout::

    ROOT/<target>/<version>.fsm     one model file per version (models.persistence format)
    ROOT/<target>/PROMOTED          the promoted version's name

Versions are ``<created_at UTC, microseconds>-<first 8 hex of the data fingerprint>``, so they
sort by creation time and two saves never share a name (an existing name gets ``-2``, ``-3``).
Every write goes to a temporary file in the same directory and is renamed into place (``link``
for versions, so an existing version is never overwritten; ``replace`` for PROMOTED), so a reader
in another process sees a complete file or none, and a crash leaves no half-written model.
With ``keep=N`` a save then deletes all but the newest N versions (never the promoted one).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

from forescale.models.base import BaseForecaster
from forescale.models.errors import ModelFileError
from forescale.models.persistence import ModelCard, atomic_write, dumps, loads, read_card
from forescale.scaler.errors import ConfigError, ModelNotFound, ModelStoreError
from forescale.scaler.modelstore.base import DEFAULT_KEEP, to_prune

__all__ = ["DirectoryModelStore"]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SUFFIX = ".fsm"
_PROMOTED = "PROMOTED"


class DirectoryModelStore:
    """`ModelStore` on a directory (a local disk or a mounted volume)."""

    def __init__(self, root: str | Path, *, keep: int | None = DEFAULT_KEEP) -> None:
        if keep is not None and keep < 1:
            raise ConfigError(f"the model store must keep at least 1 version, not {keep}")
        self.root = Path(root)
        self.keep = keep

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
                version = self._publish(Path(tmp), folder=folder, stem=stem)
            finally:
                Path(tmp).unlink(missing_ok=True)
        except OSError as exc:
            raise ModelStoreError(
                f"cannot save a model for {target!r}: {exc.strerror or exc}"
            ) from exc
        self._prune_after_save(target)
        return version

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
            raise ModelStoreError(f"cannot read {_name(target, version)}: {exc.strerror}") from exc
        try:
            return loads(data, source=_name(target, version))
        except ModelFileError as exc:
            raise ModelStoreError(str(exc)) from exc

    def card(self, target: str, version: str) -> ModelCard:
        try:
            return read_card(self._path(target, version), source=_name(target, version))
        except FileNotFoundError:
            raise ModelNotFound(f"target {target!r} has no model version {version!r}") from None
        except OSError as exc:
            raise ModelStoreError(f"cannot read {_name(target, version)}: {exc.strerror}") from exc
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
            raise ModelStoreError(
                f"cannot promote {version!r} for {target!r}: {exc.strerror or exc}"
            ) from exc

    def promoted(self, target: str) -> str | None:
        marker = self._folder(target) / _PROMOTED
        try:
            version = marker.read_text().strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not text"
            raise ModelStoreError(
                f"cannot read the promoted version of {target!r}: {reason}"
            ) from exc
        return version or None

    def prune(self, target: str) -> list[str]:
        """Delete the versions beyond `keep` (never the promoted one); the ones deleted."""
        doomed = to_prune(self.versions(target), keep=self.keep, promoted=self.promoted(target))
        for version in doomed:
            try:
                self._path(target, version).unlink(missing_ok=True)
            except OSError as exc:
                raise ModelStoreError(
                    f"cannot delete {_name(target, version)}: {exc.strerror}"
                ) from exc
        return doomed

    def _prune_after_save(self, target: str) -> None:
        """A failure to prune is logged, never fatal: the new version is saved either way."""
        try:
            doomed = self.prune(target)
        except ModelStoreError as exc:
            log.warning("model store: could not prune old versions of %s: %s", target, exc)
            return
        if doomed:
            log.info("model store: %s: pruned %d old version(s)", target, len(doomed))

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


def _name(target: str, version: str) -> str:
    """How errors name a stored model: never the file path (errors reach API responses)."""
    return f"model {target}/{version}"
