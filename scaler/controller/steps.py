"""Timing the phases of a target's cycle, for ``forescale_step_duration_seconds``.

`timed` wraps a `TargetRuntime` phase (``gather``, ``decide``, ``act``) in the runtime's
`StepTimer` (`Telemetry.timed_step` in the process; none in tests that do not ask), so the
dashboard's step-duration panel shows where cycles spend their time: outside reads, model work
or writes. Recorded even when the phase raises.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Concatenate, ParamSpec, Protocol, TypeVar

__all__ = ["StepTimer", "timed"]

StepTimer = Callable[[str], AbstractContextManager[None]]
P = ParamSpec("P")
R = TypeVar("R")


class _Timed(Protocol):
    step_timer: StepTimer | None


S = TypeVar("S", bound=_Timed)


def timed(step: str) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    def wrap(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        @functools.wraps(method)
        def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if self.step_timer is None:
                return method(self, *args, **kwargs)
            with self.step_timer(step):
                return method(self, *args, **kwargs)

        return run

    return wrap
