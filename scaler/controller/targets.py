"""Where targets come from: PredictiveAutoscaler objects in a cluster, or a YAML file.

Both answer `poll()` with the current specs and what changed since the last poll (deleted or
retargeted specs, whose floors must be released; invalid ones, which are reported, not fatal).
`FileTargets` re-reads its file when it changes, so editing the file is like ``kubectl apply``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from forescale.scaler.config.targets import parse_target, yaml_problem
from forescale.scaler.controller.pauses import PAUSED, PauseUnavailable, annotated_pause
from forescale.scaler.domain import (
    InvalidSpec,
    TargetName,
    TargetProvider,
    TargetSpec,
    TargetsUpdate,
)
from forescale.scaler.errors import ConfigError

# InvalidSpec, TargetProvider and TargetsUpdate live in `forescale.scaler.domain` (below the
# Kubernetes source, which answers the same type); they are re-exported here, where they were.
__all__ = ["FileTargets", "InvalidSpec", "StaticTargets", "TargetProvider", "TargetsUpdate"]

log = logging.getLogger(__name__)


class StaticTargets:
    """A fixed list of specs (tests, the demo); `replace` swaps it like an edit would. Pauses
    are kept in memory: there is only the one process."""

    def __init__(self, specs: Sequence[TargetSpec]) -> None:
        self._specs = tuple(specs)
        self._previous: dict[TargetName, TargetSpec] = {}
        self._paused: set[TargetName] = set()
        self.statuses: dict[TargetName, dict[str, Any]] = {}

    def replace(self, specs: Sequence[TargetSpec]) -> None:
        self._specs = tuple(specs)

    def poll(self) -> TargetsUpdate:
        return self._diff(self._specs)

    def set_paused(self, name: TargetName, paused: bool, *, by: str) -> None:  # noqa: ARG002
        (self._paused.add if paused else self._paused.discard)(name)

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
            targets=tuple(specs), invalid=tuple(invalid), deleted=deleted, retargeted=retargeted,
            paused=frozenset(self._paused),
        )  # fmt: skip

    def write_status(self, name: TargetName, status: dict[str, Any]) -> bool:
        self.statuses[name] = status
        return True


class FileTargets(StaticTargets):
    """PredictiveAutoscaler documents from a YAML file, re-read when the file changes.

    Each document stands alone, as each object does in a cluster: an invalid one is reported
    (its last valid spec, if any, keeps running) and never stops the others. A file that cannot
    be read, is not YAML, holds no document at all (a truncated write, a ConfigMap being
    swapped) or holds something other than objects (a list, a scalar) keeps every last valid
    target running and says so at ERROR: a broken file must never read as "every target
    deleted", which would give every floor back at once. A document whose name cannot be read
    hides which target it was, so while one is in the file no target is deleted either. At
    startup any of these is a configuration error (fail fast)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(())
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._specs_cache: tuple[TargetSpec, ...] = ()
        self._invalid: tuple[InvalidSpec, ...] = ()
        self._load(startup=True)

    def set_paused(self, name: TargetName, paused: bool, *, by: str) -> None:  # noqa: ARG002
        """A file is not written back: pause it in the record store (`StoredPauses`)."""
        raise PauseUnavailable(
            f"{name} comes from the targets file, which Forescale does not write: pause it with "
            f"the {PAUSED} annotation in its document"
        )

    def _load(self, *, startup: bool = False) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            stat = None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat else None
        if stamp is not None and stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            documents = _documents(self.path)
        except ConfigError as exc:
            if startup:
                raise
            self._keep_all(str(exc))
            return
        last_valid = {s.name: s for s in self._specs_cache}
        last_valid.update((i.name, i.last_valid) for i in self._invalid if i.last_valid)
        specs, invalid = _parse(documents, source=str(self.path), last_valid=last_valid)
        self._paused = {n for d in documents if annotated_pause(d) and (n := _name_of(d))}
        for problem in invalid:
            log.error("targets file %s: %s", self.path, problem.message)
        nameless = [n for n, d in enumerate(documents, start=1) if _name_of(d) is None]
        if nameless:
            seen = {s.name for s in specs} | {i.name for i in invalid}
            which = f"{self.path.name}#{nameless[0]}"
            kept = tuple(
                InvalidSpec(
                    name=name,
                    last_valid=spec,
                    message=f"{self.path}: document {which} has no readable metadata.name/"
                    "namespace and may be this target: its last valid spec keeps running",
                )  # fmt: skip
                for name, spec in last_valid.items()
                if name not in seen
            )
            if kept:
                log.error(
                    "targets file %s: document %s has no readable metadata.name/namespace, so "
                    "no target is removed until it is fixed (keeping %s)",
                    self.path, which, ", ".join(str(k.name) for k in kept),
                )  # fmt: skip
            invalid = (*invalid, *kept)
        self._specs_cache, self._invalid = specs, invalid

    def _keep_all(self, problem: str) -> None:
        """The whole file is unusable: every last valid target keeps running, marked invalid."""
        log.error("targets file %s is invalid, keeping the last valid targets: %s", self.path,
                  problem)  # fmt: skip
        held = {s.name: s for s in self._specs_cache}
        held.update((i.name, i.last_valid) for i in self._invalid if i.last_valid)
        self._invalid = tuple(
            InvalidSpec(name=name, message=problem, last_valid=spec) for name, spec in held.items()
        )

    def poll(self) -> TargetsUpdate:
        try:
            self._load()
        except Exception as exc:  # noqa: BLE001 - a file we cannot handle changes nothing
            log.error("cannot read targets file %s, keeping the last valid targets: %s: %s",
                      self.path, type(exc).__name__, exc)  # fmt: skip
        return self._diff(self._specs_cache, self._invalid)


def _documents(path: Path) -> list[Any]:
    """The file's YAML documents, unparsed; `ConfigError` if it is unreadable, not YAML, holds
    no document, or a document that is not an object."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ConfigError(f"cannot read targets file {path}: {why}") from None
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - e.g. ValueError for a date like 2026-13-01
        raise ConfigError(f"{path}: not valid YAML: {type(exc).__name__}: {exc}") from None
    if not documents:
        raise ConfigError(
            f"{path} holds no PredictiveAutoscaler document (empty, or only comments)"
        )
    for number, document in enumerate(documents, start=1):
        if not isinstance(document, dict):
            raise ConfigError(
                f"{path}: document {number} is a {type(document).__name__}, not a "
                "PredictiveAutoscaler object (apiVersion, kind, metadata, spec); several "
                "targets go in separate documents divided by ---"
            )
    return documents


def _name_of(document: dict[str, Any]) -> TargetName | None:
    """``namespace/name`` from the metadata, or None when it cannot be read."""
    meta = document.get("metadata")
    if not isinstance(meta, dict):
        return None
    name, namespace = meta.get("name"), meta.get("namespace", "default")
    if not (isinstance(name, str) and name and isinstance(namespace, str) and namespace):
        return None
    return TargetName(f"{namespace}/{name}")


def _parse(
    documents: Sequence[dict[str, Any]],
    *,
    source: str,
    last_valid: dict[TargetName, TargetSpec],
) -> tuple[tuple[TargetSpec, ...], tuple[InvalidSpec, ...]]:
    """Valid specs and invalid documents (named by their metadata, else by position)."""
    specs: dict[TargetName, TargetSpec] = {}
    invalid: dict[TargetName, InvalidSpec] = {}
    for number, document in enumerate(documents, start=1):
        name = _name_of(document) or TargetName(f"{Path(source).name}#{number}")
        try:
            if name in specs or name in invalid:
                raise ConfigError(f"{source}: duplicate target name {name}")
            spec = parse_target(document, source=source).to_domain()
        except Exception as exc:  # noqa: BLE001 - one bad document never stops the others
            message = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            specs.pop(name, None)
            invalid[name] = InvalidSpec(name=name, message=message, last_valid=last_valid.get(name))
            continue
        specs[name] = spec
    return tuple(specs.values()), tuple(invalid.values())
