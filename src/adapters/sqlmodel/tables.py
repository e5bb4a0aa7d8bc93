"""Table models: the database's shape, kept apart from the domain entity."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB, TEXT
from sqlmodel import Field, SQLModel

from application.idempotency import IDEMPOTENCY_KEY_MAX_LENGTH, REQUEST_HASH_LENGTH
from application.limits import RATE_LIMIT_KEY_LENGTH
from domain.owner import OWNER_ID_MAX_LENGTH
from domain.task_list import LIST_NAME_MAX_LENGTH
from domain.user import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH

metadata = SQLModel.metadata
metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TAGS_TYPE = JSON().with_variant(JSONB(), "postgresql")
# Text compared byte by byte on every database ("C" on PostgreSQL; SQLite's BINARY already is):
# the folded keys, and positions, whose order is their bytes' (application/positions.py).
FOLDED_TEXT = Text().with_variant(TEXT(collation="C"), "postgresql")


class ListRow(SQLModel, table=True):
    """One owner's task list. Owner-scoped like tasks (row-level security on PostgreSQL)."""

    __tablename__ = "lists"
    __table_args__ = (
        # What the tasks' composite foreign key refers to: a task's list is its owner's.
        UniqueConstraint("id", "user_id"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: UUID = Field(primary_key=True)
    user_id: str = Field(sa_type=String(OWNER_ID_MAX_LENGTH), nullable=False)
    name: str = Field(sa_type=String(LIST_NAME_MAX_LENGTH), nullable=False)
    color: str | None = Field(default=None, sa_type=String(7), nullable=True)
    position: str = Field(sa_type=FOLDED_TEXT, nullable=False)
    archived: bool = Field(nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    updated_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    version: int = Field(nullable=False)


lists_table: Table = ListRow.__table__  # type: ignore[attr-defined]
# The owner's lists, archived or not, in their order: the list of lists reads it without a sort.
# On PostgreSQL it carries every other column, so that read is an index-only scan: a plain index
# scan of a few scattered rows costs the planner more than fetching them all and sorting them.
Index(
    "ix_lists_owner_order",
    lists_table.c.user_id,
    lists_table.c.archived,
    lists_table.c.position,
    lists_table.c.id,
    postgresql_include=["name", "color", "created_at", "updated_at", "version"],
)


class TaskRow(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 0 AND 2", name="priority_rank"),
        CheckConstraint("recurrence IN ('daily', 'weekly', 'monthly')", name="recurrence_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        # Composite keys: a task's list and its parent are its owner's, whatever the code above
        # does; deleting a list deletes its tasks, deleting a task deletes its subtasks. The
        # parent's key is the primary key itself, (id, owner): every read names both anyway, and
        # a second unique index would cost every write.
        ForeignKeyConstraint(
            ["list_id", "user_id"], ["lists.id", "lists.user_id"], ondelete="CASCADE", name="fk_tasks_list"
        ),
        ForeignKeyConstraint(
            ["parent_id", "user_id"],
            ["tasks.id", "tasks.user_id"],
            ondelete="CASCADE",
            name="fk_tasks_parent",
        ),
    )

    id: UUID = Field(primary_key=True)
    user_id: str = Field(sa_type=String(OWNER_ID_MAX_LENGTH), primary_key=True)
    title: str = Field(sa_type=String(200), nullable=False)
    description: str | None = Field(default=None, sa_type=String(2000), nullable=True)
    # Stored as a rank (0 low, 1 medium, 2 high) so "sort by priority" is an index order.
    priority: int = Field(sa_type=SmallInteger, nullable=False)
    tags: list[str] = Field(sa_type=TAGS_TYPE, nullable=False)
    due_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    recurrence: str | None = Field(default=None, sa_type=String(10), nullable=True)
    completed: bool = Field(nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    updated_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    version: int = Field(nullable=False)
    # The next occurrence the task brought when it was completed: it brings one, once.
    successor_id: UUID | None = Field(default=None, nullable=True)
    # Case-folded copies, made in Python so every database sorts and searches text alike:
    # the title for sorting by title, title and description for `q`. Byte order ("C") on PostgreSQL.
    title_key: str = Field(sa_type=FOLDED_TEXT, nullable=False)
    search_key: str = Field(sa_type=FOLDED_TEXT, nullable=False)
    # Where the task is (domain/task.py): its list (null: the Inbox), its parent, its position.
    list_id: UUID | None = Field(default=None, nullable=True)
    parent_id: UUID | None = Field(default=None, nullable=True)
    position: str = Field(sa_type=FOLDED_TEXT, nullable=False)


tasks_table: Table = TaskRow.__table__  # type: ignore[attr-defined]

# Serves the owner's default listing, newest first, and its keyset pages.
Index(
    "ix_tasks_owner_recent",
    tasks_table.c.user_id,
    tasks_table.c.created_at.desc(),
    tasks_table.c.id.desc(),
)
# The common filter (open or done) in the default order, and the other sorts' keyset walks.
Index(
    "ix_tasks_owner_completed_recent",
    tasks_table.c.user_id,
    tasks_table.c.completed,
    tasks_table.c.created_at.desc(),
    tasks_table.c.id.desc(),
)
Index("ix_tasks_owner_due", tasks_table.c.user_id, tasks_table.c.due_at, tasks_table.c.id)
Index("ix_tasks_owner_priority", tasks_table.c.user_id, tasks_table.c.priority, tasks_table.c.id)
Index("ix_tasks_owner_title", tasks_table.c.user_id, tasks_table.c.title_key, tasks_table.c.id)
# A list's (or the Inbox's) top level in manual order, its open tasks' count, and the cascade from
# a deleted list; then a task's subtasks in manual order, the walks down a subtree, and the cascade
# from a deleted task.
Index(
    "ix_tasks_owner_place",
    tasks_table.c.user_id,
    tasks_table.c.list_id,
    tasks_table.c.parent_id,
    tasks_table.c.position,
    tasks_table.c.id,
)
# Only subtasks are in it (most tasks are none): making a top-level task, the common write, does
# not touch it, and every query through it names a parent, which implies one.
_IS_SUBTASK = tasks_table.c.parent_id.is_not(None)
Index(
    "ix_tasks_owner_parent",
    tasks_table.c.user_id,
    tasks_table.c.parent_id,
    tasks_table.c.position,
    tasks_table.c.id,
    postgresql_where=_IS_SUBTASK,
    sqlite_where=_IS_SUBTASK,
)
# "Tasks carrying all these tags" on PostgreSQL: a containment search on the JSONB array. SQLite
# would make it a B-tree over the JSON text that no query uses (it filters with json_each).
_TAGS_INDEX = Index(
    "ix_tasks_tags",
    tasks_table.c.tags,
    postgresql_using="gin",
    postgresql_ops={"tags": "jsonb_path_ops"},
).ddl_if(dialect="postgresql")


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: UUID = Field(primary_key=True)
    email: str = Field(sa_type=String(EMAIL_MAX_LENGTH), nullable=False)
    # The case-folded email: unique, so two spellings of one address cannot both register.
    email_key: str = Field(sa_type=String(EMAIL_MAX_LENGTH), nullable=False, unique=True)
    name: str | None = Field(default=None, sa_type=String(NAME_MAX_LENGTH), nullable=True)
    password_hash: str = Field(sa_type=String(255), nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)


users_table: Table = UserRow.__table__  # type: ignore[attr-defined]


class IdempotencyKeyRow(SQLModel, table=True):
    """Which task each of an owner's idempotency keys made. Owner-scoped like tasks (RLS on PostgreSQL)."""

    __tablename__ = "idempotency_keys"

    # The primary key is the unique (user_id, key) pair: the constraint that settles a race of claims.
    user_id: str = Field(primary_key=True, sa_type=String(OWNER_ID_MAX_LENGTH))
    key: str = Field(primary_key=True, sa_type=String(IDEMPOTENCY_KEY_MAX_LENGTH))
    request_hash: str = Field(sa_type=String(REQUEST_HASH_LENGTH), nullable=False)
    task_id: UUID = Field(nullable=False)
    # The task as it was created: what a retry answers, whatever has happened to the task since.
    task_snapshot: dict[str, Any] = Field(sa_type=JSON().with_variant(JSONB(), "postgresql"), nullable=False)
    created_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    # Indexed for the purge of expired keys (maintenance.py), across owners.
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False, index=True)


idempotency_keys_table: Table = IdempotencyKeyRow.__table__  # type: ignore[attr-defined]


class RateLimitRow(SQLModel, table=True):
    """One rate-limited key (a hashed address or account, per kind of attempt), by the generic cell
    rate algorithm: a single time per key, no per-hit rows. Nobody's data, so no row-level security."""

    __tablename__ = "rate_limits"

    key: str = Field(primary_key=True, sa_type=String(RATE_LIMIT_KEY_LENGTH))
    # Seconds since the epoch at which every hit counted so far is regained (the algorithm's
    # "theoretical arrival time"). Once it has passed, the row means what no row means: purged.
    refilled_at: float = Field(sa_type=Double, nullable=False, index=True)


rate_limits_table: Table = RateLimitRow.__table__  # type: ignore[attr-defined]


class ChangeCounterRow(SQLModel, table=True):
    """Each owner's last position in their change feed, on PostgreSQL. Written by the change log's
    triggers (alembic/versions/0011_change_log.py), which take this row at COMMIT, and by a new row's
    INSERT (changes.py), which takes it at once; either holds it to the COMMIT: positions in commit
    order. (SQLite has one writer at a time: the owner's last entry is their position.)

    `listened_until`: until when some live stream listens for the owner (kept fresh while it is
    open); only then does a change notify, as notifying costs every writer. Being on this row, it
    is ordered with every change by the row's lock (migration 0012 says why that matters)."""

    __tablename__ = "change_counters"

    user_id: str = Field(primary_key=True, sa_type=String(OWNER_ID_MAX_LENGTH))
    last_seq: int = Field(sa_type=BigInteger, nullable=False)
    listened_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ChangeRow(SQLModel, table=True):
    """One committed change to an owner's task or list, at a position in the owner's feed, written
    in the change's own transaction (an update or deletion by triggers, a new row by the
    repositories' INSERT, see changes.py); deletions leave these as tombstones. On SQLite a WITHOUT
    ROWID table: one B-tree, in the feed's order."""

    __tablename__ = "changes"
    __table_args__ = (
        CheckConstraint("kind IN ('task', 'list')", name="kind_known"),
        CheckConstraint("op IN ('upsert', 'delete')", name="op_known"),
        {"sqlite_with_rowid": False},
    )

    # The feed reads an owner's changes past a position: the primary key's own order.
    user_id: str = Field(primary_key=True, sa_type=String(OWNER_ID_MAX_LENGTH))
    seq: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(sa_type=String(8), nullable=False)
    item_id: UUID = Field(nullable=False)
    op: str = Field(sa_type=String(8), nullable=False)
    changed_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)


changes_table: Table = ChangeRow.__table__  # type: ignore[attr-defined]
change_counters_table: Table = ChangeCounterRow.__table__  # type: ignore[attr-defined]
# The purge of changes past their retention (maintenance.py), across owners, on PostgreSQL; SQLite
# reads the whole table now and then rather than have every write pay for an index.
_CHANGED_AT_INDEX = Index("ix_changes_changed_at", changes_table.c.changed_at).ddl_if(dialect="postgresql")


POSTGRESQL_ONLY_INDEXES = frozenset({_TAGS_INDEX.name, _CHANGED_AT_INDEX.name})
POSTGRESQL_ONLY_TABLES = frozenset({change_counters_table.name})


def compared_on(dialect_name: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's `include_object` hook: what the models declare for this database (an index only
    PostgreSQL has is no difference on SQLite)."""

    def include(_object: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
        if dialect_name == "postgresql":
            return True
        only_postgres = POSTGRESQL_ONLY_INDEXES if type_ == "index" else POSTGRESQL_ONLY_TABLES
        return not (type_ in ("index", "table") and name in only_postgres)

    return include
