"""pytest plugin: one real PostgreSQL for the session, a fresh database per test.

Register it once in tests/conftest.py::

    pytest_plugins = ["tests.integration.postgres.plugin"]

Fixtures: ``postgres`` (session): the running `PostgresServer`; ``postgres_url`` (function): the
SQLAlchemy URL of a new empty database on it. PostgreSQL comes from the Debian package
(``./dev test`` installs it); when missing, tests fail in CI and skip elsewhere (`require`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import require
from tests.integration.postgres.process import PostgresServer, binaries, start_postgres

__all__ = ["postgres", "postgres_url"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = binaries()
    require("PostgreSQL", bin_dir is not None, "no initdb/postgres; apt-get install postgresql")
    assert bin_dir is not None
    server = start_postgres(bin_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    return postgres.create_database()
