"""Paused targets, shared by every replica (issue 17 item 3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from forescale.scaler.store.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pauses",
        sa.Column("target", sa.String(253), nullable=False),
        sa.Column("paused_by", sa.String(200), nullable=False),
        sa.Column("paused_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("target", name="pk_pauses"),
    )


def downgrade() -> None:
    op.drop_table("pauses")
