"""Migrations build exactly what the table models declare, and undo it cleanly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from adapters.sqlmodel.engine import create_engine
from adapters.sqlmodel.schema import SCHEMA_REVISION
from adapters.sqlmodel.setup import PoolOptions
from adapters.sqlmodel.tables import compared_on, metadata
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
    tables = {"alembic_version", "tasks", "users", "idempotency_keys", "rate_limits"}
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
