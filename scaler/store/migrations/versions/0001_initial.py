"""Decisions, forecasts and accuracy history.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from forescale.scaler.store.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "decisions",
        _id(),
        sa.Column("target", sa.String(253), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("load", sa.Float()),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("mode_reason", sa.Text(), nullable=False),
        sa.Column("floor", sa.Integer()),
        sa.Column("desired", sa.Integer(), nullable=False),
        sa.Column("reactive", sa.Integer(), nullable=False),
        sa.Column("predictive", sa.Integer()),
        sa.Column("scheduled", sa.Integer()),
        sa.Column("current_replicas", sa.Integer()),
        sa.Column("model", sa.String(200)),
        sa.Column("quantile", sa.Float()),
        sa.Column("forecast_peak", sa.Float()),
        sa.Column("window_start", UtcDateTime()),
        sa.Column("window_end", UtcDateTime()),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
    )
    op.create_index("ix_decisions_target_at", "decisions", ["target", "at"])
    op.create_index("ix_decisions_at", "decisions", ["at"])
    op.create_table(
        "forecasts",
        _id(),
        sa.Column("target", sa.String(253), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("quantile", sa.Float(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forecasts"),
    )
    op.create_index("ix_forecasts_target_issued_at", "forecasts", ["target", "issued_at"])
    op.create_index("ix_forecasts_issued_at", "forecasts", ["issued_at"])
    op.create_table(
        "accuracy",
        _id(),
        sa.Column("target", sa.String(253), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("horizon_seconds", sa.Float(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("mae", sa.Float()),
        sa.Column("relative_error", sa.Float()),
        sa.Column("skill", sa.Float()),
        sa.Column("under_rate", sa.Float()),
        sa.Column("bias", sa.Float()),
        sa.PrimaryKeyConstraint("id", name="pk_accuracy"),
    )
    op.create_index("ix_accuracy_target_at", "accuracy", ["target", "at"])
    op.create_index("ix_accuracy_at", "accuracy", ["at"])


def downgrade() -> None:
    for table in ("accuracy", "forecasts", "decisions"):
        op.drop_table(table)
