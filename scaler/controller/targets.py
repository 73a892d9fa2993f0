"""Where targets come from: PredictiveAutoscaler objects in a cluster, or a YAML file.

Both answer `poll()` with the current specs and what changed since the last poll (deleted or
retargeted specs, whose floors must be released; invalid ones, which are reported, not fatal).
`FileTargets` re-reads its file when it changes, so editing the file is like ``kubectl apply``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scaler.config.targets import load_targets_file
from scaler.domain import TargetName, TargetSpec
from scaler.errors import ConfigError

__all__ = ["FileTargets", "StaticTargets", "TargetProvider", "TargetsUpdate"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidSpec:
    name: TargetName
    message: str
    last_valid: TargetSpec | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetsUpdate:
    targets: tuple[TargetSpec, ...]
    invalid: tuple[InvalidSpec, ...] = ()
    deleted: tuple[TargetSpec, ...] = ()
    retargeted: tuple[TargetSpec, ...] = ()


class TargetProvider(Protocol):
    def poll(self) -> Any:
        """A `TargetsUpdate` (or the Kubernetes source's identical `TargetsSnapshot`)."""
        ...

    def write_status(self, name: TargetName, status: dict[str, Any]) -> bool:
        """Publish a target's status where its spec lives (no-op for files)."""
        ...


class StaticTargets:
    """A fixed list of specs (tests, the demo); `replace` swaps it like an edit would."""

    def __init__(self, specs: Sequence[TargetSpec]) -> None:
        self._specs = tuple(specs)
        self._previous: dict[TargetName, TargetSpec] = {}
        self.statuses: dict[TargetName, dict[str, Any]] = {}

    def replace(self, specs: Sequence[TargetSpec]) -> None:
        self._specs = tuple(specs)

    def poll(self) -> TargetsUpdate:
        return self._diff(self._specs)

    def _diff(
        self, specs: Sequence[TargetSpec], invalid: Sequence[InvalidSpec] = ()
    ) -> TargetsUpdate:
        current = {s.name: s for s in specs}
        broken = {i.name for i in invalid}
        deleted = tuple(
            s for n, s in self._previous.items() if n not in current and n not in broken
        )
        retargeted = tuple(
            old for n, old in self._previous.items() if n in current and current[n].ref != old.ref
        )
        self._previous = {**{n: s for n, s in self._previous.items() if n in broken}, **current}
        return TargetsUpdate(
            targets=tuple(specs), invalid=tuple(invalid), deleted=deleted, retargeted=retargeted
        )

    def write_status(self, name: TargetName, status: dict[str, Any]) -> bool:
        self.statuses[name] = status
        return True


class FileTargets(StaticTargets):
    """PredictiveAutoscaler documents from a YAML file, re-read when the file changes.

    A file that becomes invalid keeps the last valid targets running and reports the error; one
    invalid document among valid ones does not stop the others."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(())
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._specs_cache: tuple[TargetSpec, ...] = ()
        self._invalid: tuple[InvalidSpec, ...] = ()
        self._load()  # fail fast at startup: a missing or broken file is a configuration error

    def _load(self) -> None:
        stat = self.path.stat() if self.path.exists() else None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat else None
        if stamp is not None and stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self._specs_cache = tuple(d.to_domain() for d in load_targets_file(self.path))
            self._invalid = ()
        except ConfigError as exc:
            if not self._specs_cache and self._stamp is not None and not self._invalid:
                raise
            log.error(
                "targets file %s is invalid, keeping the last valid targets: %s", self.path, exc
            )
            self._invalid = tuple(
                InvalidSpec(name=s.name, message=str(exc), last_valid=s) for s in self._specs_cache
            )

    def poll(self) -> TargetsUpdate:
        try:
            self._load()
        except (ConfigError, OSError) as exc:
            log.error("cannot read targets file %s: %s", self.path, exc)
        if self._invalid:
            return TargetsUpdate(targets=self._specs_cache, invalid=self._invalid)
        return self._diff(self._specs_cache)
