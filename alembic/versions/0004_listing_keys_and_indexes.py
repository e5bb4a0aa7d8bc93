"""Case-folded title and search keys, and indexes for the filters and sorts of the task list.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLDED_TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("title_key", FOLDED_TEXT, nullable=True))
        batch.add_column(sa.Column("search_key", FOLDED_TEXT, nullable=True))
    _backfill(postgres)
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("title_key", existing_type=FOLDED_TEXT, nullable=False)
        batch.alter_column("search_key", existing_type=FOLDED_TEXT, nullable=False)
    op.create_index(
        "ix_tasks_owner_completed_recent",
        "tasks",
        ["user_id", "completed", sa.text("created_at DESC"), sa.text("id DESC")],
    )
    op.create_index("ix_tasks_owner_due", "tasks", ["user_id", "due_at", "id"])
    op.create_index("ix_tasks_owner_priority", "tasks", ["user_id", "priority", "id"])
    op.create_index("ix_tasks_owner_title", "tasks", ["user_id", "title_key", "id"])
    op.create_index(
        "ix_tasks_tags",
        "tasks",
        ["tags"],
        postgresql_using="gin",
        postgresql_ops={"tags": "jsonb_path_ops"},
    )


def _backfill(postgres: bool) -> None:
    """Fold existing rows in Python, exactly as the service folds new ones."""
    bind = op.get_bind()
    if postgres:  # row-level security is forced on tasks: the owner must step past it to see every row
        op.execute("ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY")
    tasks = sa.table("tasks", sa.column("id"), sa.column("title"), sa.column("description"))
    keys = sa.table("tasks", sa.column("id"), sa.column("title_key"), sa.column("search_key"))
    for row in bind.execute(sa.select(tasks.c.id, tasks.c.title, tasks.c.description)):
        bind.execute(
            keys.update()
            .where(keys.c.id == row.id)
            .values(
                title_key=row.title.casefold(),
                search_key=f"{row.title}\n{row.description or ''}".casefold(),
            )
        )
    if postgres:
        op.execute("ALTER TABLE tasks FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    op.drop_index("ix_tasks_tags", table_name="tasks")
    op.drop_index("ix_tasks_owner_title", table_name="tasks")
    op.drop_index("ix_tasks_owner_priority", table_name="tasks")
    op.drop_index("ix_tasks_owner_due", table_name="tasks")
    op.drop_index("ix_tasks_owner_completed_recent", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("search_key")
        batch.drop_column("title_key")
