"""Idempotency keys for task creation, owner-scoped like tasks (row-level security on PostgreSQL).

The primary key (user_id, key) is the unique pair whose index settles a race of two claims.
The policy is the one 0003 puts on tasks: a row is visible and writable only when its user_id
equals the transaction's app.user_id.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWNER_MATCHES = "user_id = current_setting('app.user_id', true)"


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("task_snapshot", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no row-level security: the repository's filter is the wall there
    op.execute("ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY idempotency_keys_owner ON idempotency_keys"
        f" USING ({_OWNER_MATCHES}) WITH CHECK ({_OWNER_MATCHES})"
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")  # its policy goes with it
