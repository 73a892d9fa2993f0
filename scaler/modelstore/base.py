"""`ModelStore`: the controller's one view of saved models.

Training saves a new *version* per target; a separate *promote* step makes it the one the
controller loads, so a bad model can be rolled back by promoting an older version, and a fresh
model can be inspected (its card holds the backtest metrics) before it is trusted. Versions are
immutable once saved. Implementations: `DirectoryModelStore` (local or mounted volume); an S3 one
can follow with the same five calls.

Errors: `ModelNotFound` (no such target or version, nothing promoted) and `ModelStoreError`
(unreadable, corrupt or foreign artifact; I/O failures), both from `scaler.errors`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from forescale.models.base import BaseForecaster
from forescale.models.persistence import ModelCard

__all__ = ["ModelStore", "model_key"]


@runtime_checkable
class ModelStore(Protocol):
    def save(self, target: str, model: BaseForecaster, card: ModelCard) -> str:
        """Store a fitted model and its card as a new version of ``target``; return the version.

        Versions sort in save order. Saving does not promote.
        """
        ...

    def load(self, target: str, version: str | None = None) -> tuple[BaseForecaster, ModelCard]:
        """A stored model and its card; ``version=None`` means the promoted one."""
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
