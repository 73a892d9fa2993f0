"""Bounded retries for transient API failures (429, 5xx, timeouts), in injectable time.

One policy for every Kubernetes call: a few attempts with exponential backoff, honouring the
server's ``Retry-After`` (capped), sleeping through a `Clock` so tests run in virtual time. When
attempts run out the last `KubeError` propagates and the adapter turns it into a
`TemporaryError` whose ``delay`` suggests when the next cycle should try again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from forescale.scaler.clock import Clock
from forescale.scaler.kube.client import KubeError

__all__ = ["RetryPolicy", "with_retries"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    attempts: int = 4
    """Tries per request for 429/5xx/timeouts (1 = no retry)."""
    base_delay: float = 0.2
    """First backoff in seconds; doubles per attempt."""
    max_delay: float = 5.0
    """Cap on one backoff, also on a server's Retry-After."""
    conflict_attempts: int = 5
    """Read-modify-write rounds on 409 Conflict before giving up (client-go uses 5)."""

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.conflict_attempts < 1:
            raise ValueError("attempts and conflict_attempts must be >= 1")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("need 0 <= base_delay <= max_delay")

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Delay before retry number ``attempt`` (1-based)."""
        delay = self.base_delay * 2.0 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.max_delay)


def with_retries(call: Callable[[], T], *, policy: RetryPolicy, clock: Clock) -> T:
    """``call()``, retried on transient `KubeError` up to ``policy.attempts`` times."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except KubeError as err:
            if not err.is_transient or attempt == policy.attempts:
                raise
            delay = policy.backoff(attempt, err.retry_after)
            logger.info("%s; retry %d/%d in %.2fs", err, attempt, policy.attempts - 1, delay)
            clock.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")
