"""`EventRecorder`: Kubernetes Events (events.k8s.io/v1) so ``kubectl describe`` tells the story.

Events are best effort, as in client-go's recorder: a failure to record is logged and never fails
the change it describes. ``eventTime`` is written as a ``MicroTime`` with exactly six fractional
digits (the API server's layout); ``note`` is cut to the API's 1 KiB limit.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

from forescale.scaler.clock import Clock
from forescale.scaler.kube.client import EVENT, KubeApi, KubeError

__all__ = ["CONTROLLER_NAME", "EventRecorder", "micro_time"]

logger = logging.getLogger(__name__)
CONTROLLER_NAME = "forescale.io/controller"
_NOTE_LIMIT = 1024
_FIELD_LIMIT = 128


def micro_time(clock: Clock) -> str:
    """``clock.now()`` in the API server's ``RFC3339Micro`` layout."""
    return clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cut(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "..."


class EventRecorder:
    """Writes one Event per call, about the object it is given (a dict as read from the API)."""

    def __init__(self, api: KubeApi, *, clock: Clock, instance: str) -> None:
        self._api = api
        self._clock = clock
        self.instance = _cut(instance, _FIELD_LIMIT)
        self.recorded = 0
        self.failed = 0

    def record(
        self,
        regarding: dict[str, Any],
        *,
        reason: str,
        action: str,
        note: str,
        type: Literal["Normal", "Warning"] = "Normal",  # noqa: A002 (the API's field name)
    ) -> bool:
        """Record an Event; ``False`` (and a log line) if the API refused it."""
        meta = regarding.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        ref = {
            "apiVersion": regarding.get("apiVersion"),
            "kind": regarding.get("kind"),
            "namespace": namespace,
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        }
        body = {
            "apiVersion": EVENT.api_version,
            "kind": EVENT.kind,
            "metadata": {"name": f"{meta.get('name')}.{uuid.uuid4().hex[:16]}"},
            "eventTime": micro_time(self._clock),
            "reportingController": CONTROLLER_NAME,
            "reportingInstance": self.instance,
            "action": _cut(action, _FIELD_LIMIT),
            "reason": _cut(reason, _FIELD_LIMIT),
            "note": _cut(note, _NOTE_LIMIT),
            "type": type,
            "regarding": {k: v for k, v in ref.items() if v is not None},
        }
        try:
            self._api.create(EVENT, namespace=namespace, body=body)
        except KubeError as err:
            self.failed += 1
            hint = f" ({err.rbac_hint})" if err.status == 403 else ""
            logger.warning("could not record event %s for %s: %s%s", reason, ref["name"], err, hint)
            return False
        self.recorded += 1
        return True
