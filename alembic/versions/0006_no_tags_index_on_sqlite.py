"""No index on tags on SQLite: it is a GIN index on PostgreSQL, but SQLite made it a plain B-tree
over the JSON text, which no query uses (SQLite filters tags with json_each) and every write
has to keep up.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_tasks_tags", table_name="tasks")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_tasks_tags", "tasks", ["tags"])
