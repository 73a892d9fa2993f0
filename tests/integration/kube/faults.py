"""Scripted misbehaviour for the test API server: errors, delays and concurrent edits.

A `Fault` matches requests by verb and a regular expression searched in the URL path, and is
consumed ``times`` times (``None``: for ever). It can delay the request, answer it with an error
``Status`` (404, 409, 429 with ``Retry-After``, 500, 503, 403 worded like RBAC's refusal), or run
a callback first (e.g. another writer changing the object, which makes the request under test
meet a genuine resourceVersion conflict instead of a canned 409).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.integration.kube.resources import ApiError

__all__ = ["Fault", "Faults", "error_for"]

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
USER = "system:serviceaccount:forescale:forescale-controller"


@dataclass
class Fault:
    verb: str | None
    path: re.Pattern[str]
    status: int | None = None
    delay: float = 0.0
    times: int | None = 1
    retry_after: int | None = None
    before: Callable[[], object] | None = None
    hits: int = field(default=0)

    def matches(self, verb: str, path: str) -> bool:
        return (self.verb in (None, verb)) and self.path.search(path) is not None


class Faults:
    """The active faults; the first match wins and is consumed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        *,
        verb: str | None = None,
        path: str = "",
        status: int | None = None,
        delay: float = 0.0,
        times: int | None = 1,
        retry_after: int | None = None,
        before: Callable[[], object] | None = None,
    ) -> Fault:
        if status is None and delay <= 0 and before is None:
            raise ValueError("a fault needs a status, a delay or a before-callback")
        fault = Fault(
            verb=verb.upper() if verb else None,
            path=re.compile(path),
            status=status,
            delay=delay,
            times=times,
            retry_after=retry_after,
            before=before,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, verb: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(verb, path):
                    fault.hits += 1
                    if fault.times is not None and fault.hits >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    def remove(self, fault: Fault) -> None:
        """Stop injecting ``fault`` (the outage is over)."""
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def error_for(
    fault: Fault, *, verb: str, resource: str, group: str, namespace: str | None, name: str | None
) -> ApiError:
    """The `ApiError` a real server would send for ``fault.status`` on this request."""
    assert fault.status is not None
    code = fault.status
    qualified = f"{resource}.{group}" if group else resource
    what = f'{qualified} "{name}"' if name else qualified
    headers: dict[str, str] = {}
    if code == 403:
        where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        message = (
            f'{what} is forbidden: User "{USER}" cannot {_VERBS.get(verb, verb.lower())} '
            f'resource "{resource}" in API group "{group}"{where}'
        )
    elif code == 404:
        message = f"{what} not found"
    elif code == 409:
        message = (
            f"Operation cannot be fulfilled on {what}: the object has been modified; "
            "please apply your changes to the latest version and try again"
        )
    elif code == 429:
        message = "Too many requests, please try again later."
        headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
    else:
        message = f"Internal error occurred: injected {code} for {verb} {what}"
    details: dict[str, object] = {"name": name or "", "group": group, "kind": resource}
    if code == 429:
        details["retryAfterSeconds"] = int(headers["Retry-After"])
    return ApiError(code, _REASONS.get(code, "Unknown"), message, details=details, headers=headers)
