"""`redact`: take credentials out of text before it reaches a log line or an error message.

Forescale's own messages never format a secret on purpose; this is the second line of defence
for what libraries and exceptions put in their text: the password of a database URL (in the
``user:password@`` part or as ``?password=``), AWS signatures and session tokens (botocore's
DEBUG dumps its request headers and signed URLs), bearer tokens and ``Authorization`` headers
(the Kubernetes client's DEBUG), and any exact value registered with `register_secret` (the
API tokens and passwords from the settings, whatever their shape).
"""

from __future__ import annotations

import re
import threading

__all__ = ["MASK", "redact", "register_secret"]

MASK = "***"
_MIN_SECRET = 4  # shorter "secrets" would mask ordinary words and numbers

_PATTERNS: tuple[re.Pattern[str], ...] = (
    # scheme://user:password@host -> scheme://user:***@host
    re.compile(r"(?P<keep>\b[a-z][a-z0-9+.\-]*://[^:/?#@\s]*:)[^@\s/]+(?=@)", re.I),
    # ?password=x / &sslpassword=x / password: x / "password": "x"
    re.compile(
        r"(?P<keep>\b(?:ssl)?(?:password|passwd|pwd|secret|token|api[_-]?key)"
        r"[\"']?\s*[=:]\s*(?:b?[\"'])?)[^\s&\"',;}]+",
        re.I,
    ),
    # X-Amz-Security-Token / X-Amz-Signature / X-Amz-Credential as header or query parameter
    re.compile(
        r"(?P<keep>x-amz-(?:security-token|signature|credential)[\"']?\s*[=:,]\s*(?:b?[\"'])?)"
        r"[^\s&\"',;}]+",
        re.I,
    ),
    # Authorization: Bearer x / AWS4-HMAC-SHA256 Credential=..., Signature=...
    re.compile(r"(?P<keep>\bauthorization[\"']?\s*[=:,]\s*(?:b?[\"'])?)[^\"'\n]+", re.I),
    re.compile(r"(?P<keep>\bbearer\s+)[A-Za-z0-9._~+/\-]+=*", re.I),
    re.compile(r"(?P<keep>\b(?:Signature|Credential)=)[^\s,&\"']+"),
    # aws_secret_access_key / aws_session_token = x
    re.compile(
        r"(?P<keep>\baws_(?:secret_access_key|session_token)[\"']?\s*[=:]\s*[\"']?)[^\s\"',}]+",
        re.I,
    ),
)

_lock = threading.Lock()
_exact: frozenset[str] = frozenset()


def register_secret(*values: str | None) -> None:
    """Mask these exact values wherever they appear (tokens, passwords from the settings)."""
    global _exact
    fresh = {v for v in values if v and len(v) >= _MIN_SECRET}
    if not fresh - _exact:
        return
    with _lock:
        _exact = _exact | fresh


def redact(text: str) -> str:
    """``text`` with every credential it carries replaced by ``***``."""
    for secret in sorted(_exact, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(_keep, text)
    return text


def _keep(match: re.Match[str]) -> str:
    return match.group("keep") + MASK
