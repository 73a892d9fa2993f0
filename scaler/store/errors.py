"""Errors of the record store, in the `ScalerError` hierarchy so callers need not know SQLAlchemy.

`StoreUnavailable` is temporary (the database is down or busy: the API answers 503, the controller
keeps deciding and retries recording next cycle); `SchemaMismatch` is permanent (the database was
migrated by a newer Forescale, or by something else).
"""

from __future__ import annotations

from forescale.scaler.errors import PermanentError, ScalerError, TemporaryError

__all__ = ["SchemaMismatch", "StoreError", "StoreUnavailable"]


class StoreError(ScalerError):
    """Base for record-store failures."""


class StoreUnavailable(StoreError, TemporaryError):
    """The database cannot be reached or refused the statement for a transient reason."""


class SchemaMismatch(StoreError, PermanentError):
    """The database schema is at a revision this version of Forescale does not know."""
