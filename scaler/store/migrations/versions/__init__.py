"""Schema revisions, applied in order (alembic ignores this file)."""
