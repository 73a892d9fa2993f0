"""One native thread for numerical work: BLAS and OpenMP pools cost more than they give here.

The models work on small matrices (thousands of rows, tens of columns), where a second BLAS or
OpenMP thread saves little; on a 2-core box shared with the controller (and other processes)
the pools' spinning threads made a ridge fit take 2-6 s instead of 0.12 s and a 30,000-row
gradient-boosting fit 6.3 s instead of 1.7 s. Parallelism belongs across series, in processes.

The limit is process-wide (that is how BLAS and OpenMP work): threads that forecast concurrently
share it, and an overlapping exit can leave it at one thread, which is the setting we want
anyway. Nothing here changes the limit at import time.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

__all__ = ["one_thread"]

_CONTROLLER: list[ThreadpoolController] = []


def one_thread() -> AbstractContextManager[Any]:
    """Context manager limiting BLAS and OpenMP to one thread (the controller is built once:
    building it costs ~20 ms, limiting ~0.1 ms)."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    limiter: AbstractContextManager[Any] = _CONTROLLER[0].limit(limits=1)
    return limiter
