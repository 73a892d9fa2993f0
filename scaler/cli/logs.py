"""The process's logging: Forescale's own level, libraries at INFO at most, credentials masked.

Why not the root logger at the configured level: at DEBUG, botocore prints every signed request
(``X-Amz-Security-Token``, signatures) and the Kubernetes client its ``Authorization`` header.
``log_level: DEBUG`` is for Forescale's decisions, so it applies to the ``forescale`` loggers;
libraries stay at INFO (or the configured level when that is higher). Every handler on the root
logger also gets `RedactingFilter`, which masks what a library or an exception still puts in a
message (`scaler.redact`).
"""

from __future__ import annotations

import logging
import sys

from forescale.scaler.redact import redact

__all__ = ["OWN_LOGGER", "RedactingFilter", "configure_logging"]

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


def configure_logging(level: int | str) -> None:
    """``level`` for Forescale's loggers, at most INFO for everyone else; masked output."""
    own = logging.getLevelName(level) if isinstance(level, str) else level
    logging.basicConfig(format=FORMAT, stream=sys.stderr)  # no-op when handlers exist
    root = logging.getLogger()
    root.setLevel(max(own, logging.INFO))
    logging.getLogger(OWN_LOGGER).setLevel(own)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
