"""Where ``forescale train`` runs its per-target work: in process (default) or on a Dask cluster.

    executor:
      dask:
        address: dask://forescale-dask-scheduler.forescale:8786
        chunk_targets: 25      # targets per task (default: automatic)
        retries: 2             # Dask re-runs of a failed task

or ``forescale train --executor dask://HOST:8786`` (``--executor local`` runs in process whatever
the file says). Only ``forescale train`` reads this group; the controller never does.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from forescale.scaler.errors import ConfigError

__all__ = ["DaskSettings", "ExecutorSettings", "dask_address", "executor_address"]

_EXAMPLE = "dask://dask-scheduler.dask:8786"
_SCHEMES = {"dask": "tcp", "tcp": "tcp", "tls": "tls"}


class DaskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    address: str
    """The scheduler: ``dask://HOST:8786`` (plain TCP, as ``tcp://``) or ``tls://HOST:8786``."""
    chunk_targets: int | None = Field(default=None, ge=1, le=10_000)
    """Targets per task (None: about four tasks per worker, at most 50 targets each)."""
    retries: int = Field(default=2, ge=0, le=10)
    """Times Dask re-runs a task that failed; a chunk that still fails is retried target by
    target, and a target that still fails is reported failed."""
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long to wait for the scheduler before giving up with an error."""

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        return dask_address(value)


class ExecutorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    dask: DaskSettings | None = None
    """Run the training pass on this Dask cluster (None: in process)."""


def dask_address(text: str) -> str:
    """The Dask address (``tcp://host:port``) of ``dask://host:port``, ``tcp://`` or ``tls://``;
    `ConfigError` naming the expected form otherwise."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in _SCHEMES or not parts.hostname or port is None:
        raise ConfigError(f"invalid Dask scheduler address {text!r}: use e.g. {_EXAMPLE}")
    if parts.path not in ("", "/") or parts.query:
        raise ConfigError(f"invalid Dask scheduler address {text!r}: use e.g. {_EXAMPLE}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{_SCHEMES[parts.scheme]}://{host}:{port}"


def executor_address(text: str) -> str | None:
    """``--executor``: None for ``local``, else the Dask address of ``dask://HOST:PORT``."""
    if text.strip() == "local":
        return None
    if not text.strip().startswith("dask://"):
        raise ConfigError(
            f"--executor {text!r}: use local (in process, the default) or dask://HOST:PORT, "
            f"e.g. {_EXAMPLE}"
        )
    return dask_address(text)
