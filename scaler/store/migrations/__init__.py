"""Alembic environment and revisions of the record store (applied by `scaler.store.migrate`)."""
