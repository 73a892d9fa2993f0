"""The process's logging: Forescale's own level, libraries at INFO at most, credentials masked,
as ``text`` for people or ``json`` for log pipelines.

Why not the root logger at the configured level: at DEBUG, botocore prints every signed request
(``X-Amz-Security-Token``, signatures) and the Kubernetes client its ``Authorization`` header.
``log_level: DEBUG`` is for Forescale's decisions, so it applies to the ``forescale`` loggers;
libraries stay at INFO (or the configured level when that is higher). Every handler on the root
logger also gets `RedactingFilter`, which masks what a library or an exception still puts in a
message (`scaler.redact`).

``log_format: json`` (the chart's default) writes one JSON object per line on stderr, with the
keys ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, plus ``exception`` (the
formatted traceback) when one is attached, so Loki/Elasticsearch index fields, not text.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from forescale.scaler.redact import redact

__all__ = ["OWN_LOGGER", "JsonFormatter", "RedactingFilter", "configure_logging"]

OWN_LOGGER = "forescale"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Renders the record's message (and traceback) once, with credentials masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted (not when created)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(level: int | str, *, fmt: Literal["text", "json"] = "text") -> None:
    """``level`` for Forescale's loggers, at most INFO for everyone else; masked output in
    ``fmt`` on stderr (Forescale's handler replaces an earlier one of its own; other handlers,
    e.g. a test runner's, stay and are masked too)."""
    own = logging.getLevelName(level) if isinstance(level, str) else level
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(max(own, logging.INFO))
    logging.getLogger(OWN_LOGGER).setLevel(own)
    for each in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in each.filters):
            each.addFilter(RedactingFilter())
