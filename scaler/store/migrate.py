"""Apply the Alembic revisions shipped in ``scaler/store/migrations`` at startup, in order.

Two replicas may start at once against one PostgreSQL: the upgrade runs in one transaction under a
transaction-scoped advisory lock, so the second waits and then finds nothing left to do. A database
already at a revision this code does not know (migrated by a newer Forescale, then rolled back) is
refused with `SchemaMismatch` instead of being written with the wrong schema.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text

from forescale.scaler.store.errors import SchemaMismatch

__all__ = ["MIGRATIONS", "current_revision", "head_revision", "revisions", "upgrade"]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x666F7265  # "fore": the advisory lock serialising concurrent upgrades


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def revisions() -> list[str]:
    """Every revision id, oldest first (the order `upgrade` applies them in)."""
    script = ScriptDirectory.from_config(_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, *, to: str = "head") -> str | None:
    """Bring the schema up to ``to`` (default: the newest); returns the revision it ends at."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        before = current_revision(connection)
        if before is not None and before not in revisions():
            raise SchemaMismatch(
                f"the record store is at schema revision {before!r}, which this Forescale does "
                f"not know (known: {', '.join(revisions())}); it was migrated by a newer version. "
                "Run that version, or point store.url at another database."
            )
        try:
            command.upgrade(_config(connection), to)
        except CommandError as exc:
            raise SchemaMismatch(f"cannot migrate the record store to {to!r}: {exc}") from None
        after = current_revision(connection)
    if after != before:
        log.info("record store schema migrated from %s to %s", before or "empty", after)
    return after
