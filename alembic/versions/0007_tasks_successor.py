"""The next occurrence a completed recurring task brought: completing it again, after a reopen,
brings no second one. Null for every task that brought none (every existing one included).

No batch mode on SQLite: it adds and drops a column in place (3.35 on, as RETURNING needs too),
where a batch would copy the table and rebuild its indexes without their DESC.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("successor_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("tasks", "successor_id")
