"""`ModelStore`: the controller's one view of saved models.

Training saves a new *version* per target; a separate *promote* step makes it the one the
controller loads, so a bad model can be rolled back by promoting an older version, and a fresh
model can be inspected (its card holds the backtest metrics) before it is trusted. Versions are
immutable once saved. Implementations: `DirectoryModelStore` (local or mounted volume); an S3 one
can follow with the same five calls.

Errors: `ModelNotFound` (no such target or version, nothing promoted) and `ModelStoreError`
(unreadable, corrupt or foreign artifact; I/O failures), both from `scaler.errors`. Their
messages name the target and version, never a file path: they reach API responses.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from forescale.models.base import BaseForecaster
from forescale.models.persistence import ModelCard

__all__ = ["DEFAULT_KEEP", "ModelStore", "model_key", "to_prune"]

DEFAULT_KEEP = 20  # also the default of store.models_keep
"""Versions kept per target: weeks of nightly training to roll back to, bounded on disk."""


@runtime_checkable
class ModelStore(Protocol):
    def save(self, target: str, model: BaseForecaster, card: ModelCard) -> str:
        """Store a fitted model and its card as a new version of ``target``; return the version.

        Versions sort in save order. Saving does not promote. A store built with ``keep=N``
        then deletes all but the newest N versions, never the promoted one.
        """
        ...

    def load(self, target: str, version: str | None = None) -> tuple[BaseForecaster, ModelCard]:
        """A stored model and its card; ``version=None`` means the promoted one."""
        ...

    def card(self, target: str, version: str) -> ModelCard:
        """The card of one stored version, read without unpickling the model (cheap: listing
        models and showing forecasts never load every version)."""
        ...

    def prune(self, target: str) -> list[str]:
        """Delete all but the newest ``keep`` versions, never the promoted one (`save` does it
        after every save, logging a failure); returns the deleted versions."""
        ...

    def versions(self, target: str) -> list[str]:
        """The stored versions of ``target``, oldest first (empty if none)."""
        ...

    def promote(self, target: str, version: str) -> None:
        """Make ``version`` the one ``load(target)`` returns."""
        ...

    def promoted(self, target: str) -> str | None:
        """The promoted version of ``target``, or None."""
        ...


def model_key(target: str) -> str:
    """The store key of a target name: ``shop/checkout`` -> ``shop_checkout``.

    Stores keep one flat folder per target, and controller target names are
    ``namespace/name``. Kubernetes names and namespaces cannot contain ``_``, so the key is
    unambiguous and reads like the name; a name without ``/`` is its own key.
    """
    return target.replace("/", "_")


def to_prune(versions: list[str], *, keep: int | None, promoted: str | None) -> list[str]:
    """The versions a store keeping ``keep`` deletes: all but the newest ``keep``, except the
    promoted one, which is never deleted (``versions`` oldest first; None keeps everything)."""
    if keep is None:
        return []
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    return [v for v in versions[: max(len(versions) - keep, 0)] if v != promoted]
