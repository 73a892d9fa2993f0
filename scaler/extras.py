"""Optional dependencies (the ``plot`` and ``postgres`` extras): one clear line when one is missing.

matplotlib and the PostgreSQL driver are not installed by a plain ``pip install forescale``:
most installs never draw a plot and keep their records in SQLite or in memory. Asking for the
feature without the extra must not end in a traceback from deep inside a library, but in one
line that names the extra to install; the CLI prints it as ``forescale <command>: error: ...``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from forescale.scaler.errors import ConfigError

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(ConfigError):
    """A feature was asked for whose optional dependency is not installed."""


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """``import module``, or `MissingExtraError` naming the ``extra`` that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{feature} needs {module.split('.')[0]}, which is not installed: "
            f"pip install 'forescale[{extra}]'"
        ) from None
