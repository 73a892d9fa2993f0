"""Checks of the URLs settings carry, shared by the settings models and the clients they build.

Pure string checks (no driver, no network), so that ``forescale check-config`` refuses exactly
what ``forescale run`` would refuse when it opens the store, without importing SQLAlchemy or boto.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from forescale.scaler.errors import ConfigError

__all__ = ["check_http_url", "check_store_url", "parse_s3_url"]

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_STORE_HELP = "use sqlite:///path/to/forescale.db or postgresql+psycopg://user:password@host/db"


def check_http_url(url: str, *, example: str) -> str:
    """``url`` when it is an ``http(s)://host...`` URL, else `ConfigError` showing ``example``."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{url!r} is not an http(s) URL; e.g. {example}")
    return url


def check_store_url(url: str) -> str:
    """A record store URL the SQL store can open: SQLite with a file, or PostgreSQL."""
    scheme, sep, rest = url.partition("://")
    backend = scheme.split("+", 1)[0].lower()
    if not sep or backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"{url!r} is not a SQLite or PostgreSQL URL; {_STORE_HELP}")
    if backend == "sqlite":
        database = rest.removeprefix("/").split("?", 1)[0]
        if database in ("", ":memory:") or database.startswith("file:"):
            raise ConfigError(
                "an in-memory SQLite database would be empty on every connection; give a file "
                "(sqlite:///path/to/forescale.db) or leave store.url unset to keep records in "
                "process memory"
            )
    return url


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` -> ``("bucket", "some/prefix")``."""
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", url.strip())
    if match is None:
        raise ConfigError(f"model store URL {url!r} must look like s3://bucket/prefix")
    bucket, prefix = match.group(1), match.group(2).strip("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ConfigError(
            f"model store URL {url!r}: {bucket!r} is not a valid S3 bucket name (3-63 "
            "lowercase letters, digits, '.' and '-')"
        )
    if "//" in prefix:
        raise ConfigError(f"model store URL {url!r}: the prefix has an empty path segment")
    return bucket, prefix
