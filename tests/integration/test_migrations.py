"""Migrations build exactly what the table models declare, and undo it cleanly."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from adapters.sqlmodel.engine import create_engine
from adapters.sqlmodel.schema import SCHEMA_REVISION
from adapters.sqlmodel.setup import PoolOptions
from adapters.sqlmodel.tables import TAGS_TYPE, compared_on, metadata
from domain.task import position_at
from entrypoints.migrations import alembic_config, upgrade_to_head
from tests.conftest import DATABASES
from tests.support.databases import fresh_postgres_database, off_loop, require_postgres


@pytest.fixture(params=DATABASES)  # migrations go over the direct URL, never a pooler
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    with fresh_postgres_database(require_postgres()) as url:
        yield url


def _inspect(url: str, look: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(url, PoolOptions(null_pool=True))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(look)
        finally:
            await engine.dispose()

    return off_loop(asyncio.run, run())


def _differences(connection: Connection) -> list[Any]:
    opts = {"compare_type": True, "include_object": compared_on(connection.dialect.name)}
    context = MigrationContext.configure(connection, opts=opts)
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _indexes(connection: Connection) -> set[str]:
    return {index["name"] for index in inspect(connection).get_indexes("tasks")}


def test_upgrade_to_head_on_an_empty_database_gives_exactly_what_the_models_declare(
    empty_database: str,
) -> None:
    off_loop(upgrade_to_head, empty_database)

    assert _inspect(empty_database, _differences) == []
    tables = {"alembic_version", "tasks", "lists", "users", "idempotency_keys", "rate_limits"}
    tables.add("changes")
    if empty_database.startswith("postgresql"):
        tables.add("change_counters")  # SQLite counts from each owner's last change
    assert _inspect(empty_database, _tables) == tables
    indexes = _inspect(empty_database, _indexes)
    assert "ix_tasks_owner_recent" in indexes
    # The tags index is PostgreSQL's GIN index; SQLite has none (it filters tags with json_each).
    assert ("ix_tasks_tags" in indexes) == empty_database.startswith("postgresql")


def test_downgrade_to_base_removes_everything_and_upgrade_builds_it_again(empty_database: str) -> None:
    off_loop(upgrade_to_head, empty_database)

    off_loop(command.downgrade, alembic_config(empty_database), "base")
    after_downgrade = _inspect(empty_database, _tables)
    off_loop(upgrade_to_head, empty_database)

    assert after_downgrade == {"alembic_version"}
    assert _inspect(empty_database, _differences) == []


def test_upgrading_existing_tasks_fills_their_folded_title_and_search_keys(empty_database: str) -> None:
    off_loop(command.upgrade, alembic_config(empty_database), "0003")

    def insert(connection: Connection) -> None:
        connection.execute(
            text(
                "INSERT INTO tasks (id, user_id, title, description, priority, tags, completed,"
                " created_at, updated_at, version) VALUES (:id, 'ada', 'Straße TODO', 'Café', 1, '[]',"
                " false, :now, :now, 1)"
            ),
            {
                "id": uuid.uuid4().hex if "sqlite" in empty_database else str(uuid.uuid4()),
                "now": datetime.now(UTC),
            },
        )
        connection.commit()

    _inspect(empty_database, insert)
    off_loop(upgrade_to_head, empty_database)

    keys = _inspect(
        empty_database,
        lambda connection: connection.execute(text("SELECT title_key, search_key FROM tasks")).one(),
    )
    assert tuple(keys) == ("strasse todo", "strasse todo\ncafé")


def _stored_uuid(url: str) -> str:
    """A new id as each database stores UUIDs: 32 hex digits in SQLite, the canonical form in PostgreSQL."""
    return uuid.uuid4().hex if url.startswith("sqlite") else str(uuid.uuid4())


def test_the_revision_the_service_checks_for_is_alembics_head_and_revisions_count_up() -> None:
    """The serving process compares the database's revision with SCHEMA_REVISION as numbers
    (adapters/sqlmodel/schema.py), without loading Alembic."""
    scripts = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///unused.db"))
    revisions = [script.revision for script in reversed(list(scripts.walk_revisions()))]

    assert scripts.get_current_head() == SCHEMA_REVISION
    assert revisions == [f"{number:04d}" for number in range(1, len(revisions) + 1)]


# --- 0010: lists, subtasks and manual order ---

# The tasks table as the service writes it, for rows written straight to a database at any revision.
_TASK_COLUMNS_0009 = (
    sa.column("id", sa.Uuid()),
    sa.column("user_id", sa.String()),
    sa.column("title", sa.String()),
    sa.column("description", sa.String()),
    sa.column("priority", sa.SmallInteger()),
    sa.column("tags", TAGS_TYPE),
    sa.column("completed", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
    sa.column("title_key", sa.Text()),
    sa.column("search_key", sa.Text()),
)
_TASKS_0009 = sa.table("tasks", *_TASK_COLUMNS_0009)
_TASKS_0010 = sa.table(
    "tasks",
    *(sa.column(column.name, column.type) for column in _TASK_COLUMNS_0009),
    sa.column("list_id", sa.Uuid()),
    sa.column("parent_id", sa.Uuid()),
    sa.column("position", sa.Text()),
)
_LISTS = sa.table(
    "lists",
    sa.column("id", sa.Uuid()),
    sa.column("user_id", sa.String()),
    sa.column("name", sa.String()),
    sa.column("position", sa.Text()),
    sa.column("archived", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)
_NEWEST_FIRST_INDEXES = ("ix_tasks_owner_recent", "ix_tasks_owner_completed_recent")


def _base62_edge(moment: datetime, last_digit: int) -> datetime:
    """The first moment from `moment` whose microseconds since 1970 end in this base-62 digit."""
    micros = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return moment + timedelta(microseconds=(last_digit - micros) % 62)


# Creation times whose positions are easy to get out of order: a microsecond apart, across a leap
# day and years apart, and at the digits where base 62 goes from 9 to A and from Z to a.
_CREATED = [
    datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2024, 3, 1, tzinfo=UTC),
    datetime(2024, 3, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2019, 1, 1, tzinfo=UTC),
    datetime(2031, 12, 31, 23, 59, 59, tzinfo=UTC),
    *(_base62_edge(datetime(2025, 6, 15, 12, tzinfo=UTC), 9) + timedelta(microseconds=n) for n in range(2)),
    *(_base62_edge(datetime(2025, 7, 1, 8, tzinfo=UTC), 35) + timedelta(microseconds=n) for n in range(2)),
    datetime(2025, 6, 15, 12, 0, 1, tzinfo=UTC),
    datetime(2025, 6, 15, 11, 59, 59, tzinfo=UTC),
]
_OWNERS = ["ada", "bob", "cy"]


def _task_row(owner: str, created_at: datetime, title: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "user_id": owner,
        "title": title,
        "description": None,
        "priority": 1,
        "tags": [],
        "completed": False,
        "created_at": created_at,
        "updated_at": created_at,
        "version": 1,
        "title_key": title.casefold(),
        "search_key": f"{title.casefold()}\n",
    }


def _existing_tasks() -> list[dict[str, Any]]:
    """Tasks of several owners, made at _CREATED's times and written in another order."""
    rows = [
        _task_row(_OWNERS[n % len(_OWNERS)], created_at, f"task {n}") for n, created_at in enumerate(_CREATED)
    ]
    random.Random(13).shuffle(rows)
    return rows


def _write(url: str, table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    def write(connection: Connection) -> None:
        connection.execute(sa.insert(table), rows)
        connection.commit()

    _inspect(url, write)


def _placed_tasks(connection: Connection) -> list[Any]:
    """Every task's place, in the database's order of positions (then ids)."""
    placed = sa.table(
        "tasks",
        sa.column("id", sa.Uuid()),
        sa.column("user_id", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("list_id", sa.Uuid()),
        sa.column("parent_id", sa.Uuid()),
        sa.column("position", sa.Text()),
    )
    return list(connection.execute(sa.select(placed).order_by(placed.c.position, placed.c.id)).all())


@pytest.fixture(params=[*DATABASES, pytest.param("postgres-owner", marks=pytest.mark.postgres)])
def database_at_0009(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database at revision 0009: the URL migrations run with, and one that writes any owner's
    rows. On PostgreSQL as a superuser, or as an ordinary role that owns the database and so the
    tables (as on Neon), under whose FORCEd row-level security every owner's rows are hidden."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        off_loop(command.upgrade, alembic_config(url), "0009")
        yield url, url
        return
    if request.param == "postgres":
        with fresh_postgres_database(require_postgres()) as url:
            off_loop(command.upgrade, alembic_config(url), "0009")
            yield url, url
        return
    role = f"tasks_owner_{uuid.uuid4().hex[:8]}"
    with fresh_postgres_database(require_postgres()) as admin_url:
        database = make_url(admin_url).database
        _as_superuser(admin_url, f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
        try:
            _as_superuser(admin_url, f'ALTER DATABASE "{database}" OWNER TO {role}')
            owner_url = make_url(admin_url).set(username=role).render_as_string(hide_password=False)
            off_loop(command.upgrade, alembic_config(owner_url), "0009")
            yield owner_url, admin_url
        finally:
            _as_superuser(admin_url, f"REASSIGN OWNED BY {role} TO CURRENT_USER", f"DROP OWNED BY {role}")
    _as_superuser(require_postgres(), f"DROP ROLE {role}")


def _as_superuser(url: str, *statements: str) -> None:
    def run(connection: Connection) -> None:
        for statement in statements:
            connection.execute(text(statement))
        connection.commit()

    _inspect(url, run)


def test_upgrading_puts_every_existing_task_in_its_owners_inbox_in_the_order_it_was_created(
    database_at_0009: tuple[str, str],
) -> None:
    migrating, writing = database_at_0009
    existing = _existing_tasks()
    _write(writing, _TASKS_0009, existing)

    off_loop(upgrade_to_head, migrating)

    placed = _inspect(writing, _placed_tasks)
    created_in_order = sorted(existing, key=lambda row: row["created_at"])
    assert len({row["created_at"] for row in existing}) == len(existing)  # one order to keep
    assert [(task.list_id, task.parent_id) for task in placed] == [(None, None)] * len(existing)
    # In the database's order of positions, and in their bytes' order: the order of creation.
    assert [task.id for task in placed] == [row["id"] for row in created_in_order]
    by_bytes = sorted(placed, key=lambda task: task.position.encode())
    assert [task.id for task in by_bytes] == [row["id"] for row in created_in_order]
    for owner in _OWNERS:
        mine = [task.id for task in placed if task.user_id == owner]
        assert mine == [row["id"] for row in created_in_order if row["user_id"] == owner]
    # The position the service gives a task made at that moment: made later, it still goes last.
    positions = {row["id"]: position_at(row["created_at"]) for row in existing}
    assert {task.id: task.position for task in placed} == positions


def _tasks_shape(connection: Connection) -> dict[str, Any]:
    """The tasks table as reflected: columns, keys, constraints, indexes (on PostgreSQL with their
    columns' sort order, and row-level security and its policies)."""
    inspector = inspect(connection)
    shape: dict[str, Any] = {
        "columns": [
            (column["name"], str(column["type"]), column["nullable"])
            for column in inspector.get_columns("tasks")
        ],
        "primary key": inspector.get_pk_constraint("tasks"),
        "foreign keys": inspector.get_foreign_keys("tasks"),
        "unique": sorted((c["name"], c["column_names"]) for c in inspector.get_unique_constraints("tasks")),
        "checks": sorted(
            (c["name"], " ".join(c["sqltext"].split())) for c in inspector.get_check_constraints("tasks")
        ),
        "indexes": sorted(
            (index["name"], index["column_names"], bool(index["unique"]), index.get("column_sorting"))
            for index in inspector.get_indexes("tasks")
        ),
    }
    if connection.dialect.name == "postgresql":
        shape["row-level security"] = connection.execute(
            text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'tasks'")
        ).one()
        shape["policies"] = connection.execute(
            text(
                "SELECT policyname, cmd, qual, with_check FROM pg_policies"
                " WHERE tablename = 'tasks' ORDER BY policyname"
            )
        ).all()
    return shape


def _sqlite_index_sql(connection: Connection) -> dict[str, str]:
    rows = connection.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'")
    )
    return {name: sql for name, sql in rows if sql is not None}


def _lists_subtasks_and_inbox(connection: Connection) -> list[dict[str, Any]]:
    """Two owners' lists, tasks in them, subtasks two deep, and a task in the Inbox; the tasks."""
    now = datetime(2026, 12, 3, 9, tzinfo=UTC)
    lists = [
        {"id": uuid.uuid4(), "user_id": owner, "name": "Errands", "position": position_at(now)}
        for owner in ("ada", "bob")
    ]
    connection.execute(
        sa.insert(_LISTS),
        [{**row, "archived": False, "created_at": now, "updated_at": now, "version": 1} for row in lists],
    )
    tasks: list[dict[str, Any]] = []
    for n, (owner, list_index, parent) in enumerate(
        [("ada", 0, None), ("ada", 0, 0), ("ada", 0, 1), ("ada", None, None), ("bob", 1, None), ("bob", 1, 4)]
    ):
        created_at = now + timedelta(minutes=n)
        row = _task_row(owner, created_at, f"task {n}")
        row.update(
            list_id=None if list_index is None else lists[list_index]["id"],
            parent_id=None if parent is None else tasks[parent]["id"],
            position=position_at(created_at),
        )
        tasks.append(row)
    connection.execute(sa.insert(_TASKS_0010), tasks)
    connection.commit()
    return tasks


def _task_facts(connection: Connection) -> set[tuple[Any, ...]]:
    rows = connection.execute(
        sa.select(_TASKS_0009.c.id, _TASKS_0009.c.user_id, _TASKS_0009.c.title, _TASKS_0009.c.created_at)
    )
    return {(row.id, row.user_id, row.title, row.created_at.replace(tzinfo=UTC)) for row in rows}


def test_downgrading_to_0009_with_lists_and_subtasks_leaves_the_tasks_table_as_it_was_and_every_task(
    empty_database: str,
) -> None:
    off_loop(command.upgrade, alembic_config(empty_database), "0009")
    at_0009 = _inspect(empty_database, _tasks_shape)
    off_loop(upgrade_to_head, empty_database)
    tasks = _inspect(empty_database, _lists_subtasks_and_inbox)

    off_loop(command.downgrade, alembic_config(empty_database), "0009")

    assert "lists" not in _inspect(empty_database, _tables)
    assert _inspect(empty_database, _tasks_shape) == at_0009
    assert _inspect(empty_database, _task_facts) == {
        (row["id"], row["user_id"], row["title"], row["created_at"]) for row in tasks
    }
    off_loop(upgrade_to_head, empty_database)
    assert _inspect(empty_database, _differences) == []
    placed = _inspect(empty_database, _placed_tasks)
    assert {task.id for task in placed} == {row["id"] for row in tasks}
    assert {(task.list_id, task.parent_id) for task in placed} == {(None, None)}  # the Inbox again


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(["head"], id="upgraded"),
        pytest.param(["head", "0009"], id="downgraded"),
        pytest.param(["head", "0009", "head"], id="upgraded-again"),
    ],
)
def test_on_sqlite_the_newest_first_indexes_keep_their_desc_through_0010(
    tmp_path: Path, steps: list[str]
) -> None:
    """Rebuilding the table (a batch) loses an index's DESC; 0010 makes them again, both ways."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'desc.db'}"
    off_loop(command.upgrade, alembic_config(url), "0009")
    _write(url, _TASKS_0009, _existing_tasks())  # a rebuild with rows to copy

    for step in steps:
        migrate_to = command.upgrade if step == "head" else command.downgrade
        off_loop(migrate_to, alembic_config(url), step)

    indexes = _inspect(url, _sqlite_index_sql)
    assert " ".join(indexes["ix_tasks_owner_recent"].split()).endswith(
        "(user_id, created_at DESC, id DESC)"
    ), indexes
    assert " ".join(indexes["ix_tasks_owner_completed_recent"].split()).endswith(
        "(user_id, completed, created_at DESC, id DESC)"
    ), indexes
