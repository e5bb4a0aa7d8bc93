"""Rate limits on logging in and registering, counted in the database so that every worker and
replica sees the same count: one row per limited key (a hashed address or account), holding the
time by which all its counted hits are regained.

No row-level security: the rows are nobody's data, and hold no address or email, only hashes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("refilled_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    op.create_index(op.f("ix_rate_limits_refilled_at"), "rate_limits", ["refilled_at"])


def downgrade() -> None:
    op.drop_table("rate_limits")
