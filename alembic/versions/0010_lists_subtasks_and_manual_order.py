"""Lists, subtasks and manual order: a `lists` table (row-level security like `tasks`), and each
task's list (null: the Inbox), parent (null: top level) and position among its siblings.

Composite foreign keys hold a task's list and parent to its own owner: (list_id, user_id) refers to
lists (id, user_id) and (parent_id, user_id) to tasks (id, user_id), each deleting in cascade.
Every existing task goes to its owner's Inbox, at the top level, in the order it was created: its
position is made from its creation time, as the service makes a new task's (domain/task.py).

On SQLite the constraints need the table rebuilt (a batch); the rebuild loses the DESC of the two
newest-first indexes, which are made again as they were.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BYTE_ORDER_TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
_OWNER_MATCHES = "user_id = current_setting('app.user_id', true)"
_NEWEST_FIRST = {
    "ix_tasks_owner_recent": ["user_id", sa.text("created_at DESC"), sa.text("id DESC")],
    "ix_tasks_owner_completed_recent": [
        "user_id",
        "completed",
        sa.text("created_at DESC"),
        sa.text("id DESC"),
    ],
}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "lists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("position", BYTE_ORDER_TEXT, nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_lists_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lists")),
        sa.UniqueConstraint("id", "user_id", name=op.f("uq_lists_id_user_id")),
    )
    op.create_index(
        "ix_lists_owner_order",
        "lists",
        ["user_id", "archived", "position", "id"],
        postgresql_include=["name", "color", "created_at", "updated_at", "version"],
    )
    if postgres:
        op.execute("ALTER TABLE lists ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE lists FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY lists_owner ON lists USING ({_OWNER_MATCHES}) WITH CHECK ({_OWNER_MATCHES})"
        )

    op.add_column("tasks", sa.Column("list_id", sa.Uuid(), nullable=True))
    op.add_column("tasks", sa.Column("parent_id", sa.Uuid(), nullable=True))
    op.add_column("tasks", sa.Column("position", BYTE_ORDER_TEXT, nullable=True))
    _backfill_positions(postgres)
    recreate = "auto" if postgres else "always"
    with op.batch_alter_table("tasks", recreate=recreate) as batch:
        batch.alter_column("position", existing_type=BYTE_ORDER_TEXT, nullable=False)
        batch.create_check_constraint("not_own_parent", "parent_id IS NULL OR parent_id <> id")
        # The primary key becomes (id, user_id): what the key to a task's parent refers to.
        if postgres:
            batch.drop_constraint("pk_tasks", type_="primary")
        batch.create_primary_key("pk_tasks", ["id", "user_id"])
    # Apart: on SQLite the rebuilt table's key to its own rows needs their primary key there first.
    with op.batch_alter_table("tasks", recreate=recreate) as batch:
        batch.create_foreign_key(
            "fk_tasks_list", "lists", ["list_id", "user_id"], ["id", "user_id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            "fk_tasks_parent", "tasks", ["parent_id", "user_id"], ["id", "user_id"], ondelete="CASCADE"
        )
    if not postgres:
        _make_newest_first_indexes_again()
    op.create_index("ix_tasks_owner_place", "tasks", ["user_id", "list_id", "parent_id", "position", "id"])
    subtasks_only = sa.text("parent_id IS NOT NULL")
    op.create_index(
        "ix_tasks_owner_parent",
        "tasks",
        ["user_id", "parent_id", "position", "id"],
        postgresql_where=subtasks_only,
        sqlite_where=subtasks_only,
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_tasks_owner_parent", table_name="tasks")
    op.drop_index("ix_tasks_owner_place", table_name="tasks")
    recreate = "auto" if postgres else "always"
    with op.batch_alter_table("tasks", recreate=recreate) as batch:
        batch.drop_constraint("fk_tasks_parent", type_="foreignkey")
        batch.drop_constraint("fk_tasks_list", type_="foreignkey")
    with op.batch_alter_table("tasks", recreate=recreate) as batch:
        if postgres:
            batch.drop_constraint("pk_tasks", type_="primary")
        batch.create_primary_key("pk_tasks", ["id"])
        batch.drop_constraint(op.f("ck_tasks_not_own_parent"), type_="check")
        batch.drop_column("position")
        batch.drop_column("parent_id")
        batch.drop_column("list_id")
    if not postgres:
        _make_newest_first_indexes_again()
    op.drop_index("ix_lists_owner_order", table_name="lists")
    op.drop_table("lists")  # its policy goes with it


def _backfill_positions(postgres: bool) -> None:
    bind = op.get_bind()
    if postgres:  # row-level security is forced on tasks: the owner must step past it to see every row
        op.execute("ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY")
    tasks = sa.table("tasks", sa.column("id", sa.Uuid()), sa.column("created_at", sa.DateTime(timezone=True)))
    placed = sa.table("tasks", sa.column("id", sa.Uuid()), sa.column("position", sa.Text()))
    rows = bind.execute(sa.select(tasks.c.id, tasks.c.created_at)).all()
    if rows:
        bind.execute(
            placed.update().where(placed.c.id == sa.bindparam("task_id")),
            [{"task_id": row.id, "position": _position_at(row.created_at)} for row in rows],
        )
    if postgres:
        op.execute("ALTER TABLE tasks FORCE ROW LEVEL SECURITY")


def _position_at(moment: datetime) -> str:
    """As domain.task.position_at made it when this migration was written: "i" and the
    microseconds since 1970 in nine base-62 digits."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    if moment.tzinfo is None:  # SQLite keeps UTC clock readings
        moment = moment.replace(tzinfo=UTC)
    micros = max(0, (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))
    key = ""
    for _ in range(9):
        micros, digit = divmod(micros, 62)
        key = digits[digit] + key
    return "i" + key


def _make_newest_first_indexes_again() -> None:
    for name, columns in _NEWEST_FIRST.items():
        op.drop_index(name, table_name="tasks")
        op.create_index(name, "tasks", columns)
