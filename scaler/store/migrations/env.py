"""Alembic environment: runs revisions on the connection `scaler.store.migrate` hands over.

No logging configuration here (it would reset the application's logging). Used from the
``alembic`` command line too, with ``-x url=...`` or ``sqlalchemy.url`` in an ini file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from forescale.scaler.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("pass the database with -x url=sqlite:///forescale.db")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()
