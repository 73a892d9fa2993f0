"""`redact`: every credential shape a library or exception can print is masked."""

from __future__ import annotations

import pytest

from forescale.scaler.redact import MASK, redact, register_secret


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgresql+psycopg://forescale:hunter2@db:5432/records", "hunter2"),
        ("postgresql://forescale@db/records?password=hunter2&sslmode=require", "hunter2"),
        ("connect to db?sslpassword=hunter2", "hunter2"),
        (
            "{'X-Amz-Security-Token': b'FQoGZXIvYXdzEBYaDH', 'Content-Type': b'x'}",
            "FQoGZXIvYXdzEBYaDH",
        ),
        ("https://s3.example/m?X-Amz-Security-Token=FQo%2BZX&X-Amz-Date=1", "FQo%2BZX"),
        (
            "'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIAX/20260101, Signature=0ab12'",
            "0ab12",
        ),
        ("'Authorization': 'Bearer eyJhbGciOi.J9.x'", "eyJhbGciOi"),
        ("header: authorization=Bearer s3cr3t-t0ken", "s3cr3t-t0ken"),
        ("aws_session_token = FQoGZXIvYXdzEBYaDH", "FQoGZXIvYXdzEBYaDH"),
        ('{"token": "viewer-secret-1"}', "viewer-secret-1"),
    ],
)
def test_credentials_are_masked_and_the_rest_kept(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked and MASK in masked
    assert masked.startswith(text[:8])  # what the line is about stays readable


def test_registered_values_are_masked_wherever_they_appear() -> None:
    register_secret("opaque-operator-value", "", None, "ab")  # empty and tiny values: ignored
    assert redact("got opaque-operator-value from x") == f"got {MASK} from x"
    assert redact("ab floor 12 because the p90 forecast") == "ab floor 12 because the p90 forecast"


def test_ordinary_decisions_are_left_alone() -> None:
    line = "shop/web: minReplicas 2 -> 13 (floor 13 because the p90 forecast peaks at 1,000)"
    assert redact(line) == line
