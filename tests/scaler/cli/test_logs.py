"""The process's logging: Forescale at its level, libraries at INFO at most, credentials masked."""

from __future__ import annotations

import logging
import sys

import pytest

from forescale.scaler.cli.logs import RedactingFilter, configure_logging


def test_debug_is_for_forescale_only_libraries_stay_at_info() -> None:
    configure_logging("DEBUG")  # the conftest puts the levels back afterwards

    assert logging.getLogger("forescale.scaler.controller").isEnabledFor(logging.DEBUG)
    for library in ("botocore", "botocore.endpoint", "urllib3", "kubernetes.client.rest"):
        assert not logging.getLogger(library).isEnabledFor(logging.DEBUG), library
        assert logging.getLogger(library).isEnabledFor(logging.INFO), library


def test_a_higher_level_applies_to_libraries_too() -> None:
    configure_logging("WARNING")

    assert not logging.getLogger("botocore").isEnabledFor(logging.INFO)
    assert not logging.getLogger("forescale.scaler").isEnabledFor(logging.INFO)


def test_every_root_handler_masks_credentials(caplog: pytest.LogCaptureFixture) -> None:
    # caplog's handler is on the root logger while the test runs
    configure_logging("INFO")
    handler = logging.getLogger().handlers[0]
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    record = logging.LogRecord(
        "botocore.endpoint", logging.INFO, __file__, 1,
        "Sending %s", ({"X-Amz-Security-Token": "FQoGZXIvYXdzEBYaDH"},), None,
    )  # fmt: skip

    RedactingFilter().filter(record)

    assert "FQoGZXIvYXdzEBYaDH" not in record.getMessage()


def test_a_traceback_is_masked_too() -> None:
    try:
        raise RuntimeError("cannot reach postgresql://u:hunter2@db/x")
    except RuntimeError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    RedactingFilter().filter(record)
    assert record.exc_text is not None and "hunter2" not in record.exc_text
