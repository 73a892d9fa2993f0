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

import yaml

from forescale.scaler.config.targets import parse_target
from forescale.scaler.domain import TargetName, TargetSpec
from forescale.scaler.errors import ConfigError

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

    Each document stands alone, as each object does in a cluster: an invalid one is reported
    (its last valid spec, if any, keeps running) and never stops the others. A file that cannot
    be read or is not YAML at all keeps every last valid target running and reports the error;
    at startup it is a configuration error (fail fast)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(())
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._specs_cache: tuple[TargetSpec, ...] = ()
        self._invalid: tuple[InvalidSpec, ...] = ()
        self._load(startup=True)

    def _load(self, *, startup: bool = False) -> None:
        stat = self.path.stat() if self.path.exists() else None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat else None
        if stamp is not None and stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            documents = _documents(self.path)
        except ConfigError as exc:
            if startup:
                raise
            log.error(
                "targets file %s is invalid, keeping the last valid targets: %s", self.path, exc
            )
            self._invalid = tuple(
                InvalidSpec(name=s.name, message=str(exc), last_valid=s) for s in self._specs_cache
            )
            return
        last_valid = {s.name: s for s in self._specs_cache}
        last_valid.update((i.name, i.last_valid) for i in self._invalid if i.last_valid)
        specs, invalid = _parse(documents, source=str(self.path), last_valid=last_valid)
        for problem in invalid:
            log.error("targets file %s: %s", self.path, problem.message)
        self._specs_cache, self._invalid = specs, invalid

    def poll(self) -> TargetsUpdate:
        try:
            self._load()
        except OSError as exc:
            log.error("cannot read targets file %s: %s", self.path, exc)
        return self._diff(self._specs_cache, self._invalid)


def _documents(path: Path) -> list[Any]:
    """The file's YAML documents, unparsed; `ConfigError` if unreadable or not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read targets file {path}: {exc.strerror}") from None
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def _parse(
    documents: Sequence[Any], *, source: str, last_valid: dict[TargetName, TargetSpec]
) -> tuple[tuple[TargetSpec, ...], tuple[InvalidSpec, ...]]:
    """Valid specs and invalid documents (named by their metadata, else by position)."""
    specs: dict[TargetName, TargetSpec] = {}
    invalid: dict[TargetName, InvalidSpec] = {}
    for number, document in enumerate(documents, start=1):
        meta = document.get("metadata") if isinstance(document, dict) else None
        name = TargetName(
            f"{meta.get('namespace', 'default')}/{meta['name']}"
            if isinstance(meta, dict) and meta.get("name")
            else f"{Path(source).name}#{number}"
        )
        try:
            if name in specs or name in invalid:
                raise ConfigError(f"{source}: duplicate target name {name}")
            spec = parse_target(document, source=source).to_domain()
        except (ConfigError, ValueError) as exc:
            specs.pop(name, None)
            invalid[name] = InvalidSpec(
                name=name, message=str(exc), last_valid=last_valid.get(name)
            )
            continue
        specs[name] = spec
    return tuple(specs.values()), tuple(invalid.values())
