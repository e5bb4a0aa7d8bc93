"""Load the same rows into each baseline's own table and into the service's own schema.

`python -m bench.load [--users 100] [--tasks 1000] [--backends postgres,sqlite]`. Idempotent: the
databases and files are dropped and made again. BENCH_DATABASE_URL is the PostgreSQL admin URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from adapters.sqlmodel.mappers import task_to_row
from adapters.sqlmodel.tables import tasks_table
from bench import bare_aiosqlite, bare_asyncpg
from bench.dataset import Dataset, build
from domain.task import Task
from entrypoints.migrations import upgrade_to_head

OUT = Path(__file__).resolve().parent / "out"
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
APP_ROLE = "bench_app"
# Both apps on plain loopback connections, whatever the server's `ssl` says (asyncpg would otherwise
# prefer TLS): the same DSN for both, and no encryption cost that the loopback does not need.
_PLAIN = "?sslmode=disable"


@dataclass(frozen=True, slots=True)
class PostgresTarget:
    """Where the rows go on PostgreSQL; the names are parameters so parallel test runs never collide."""

    admin_url: str = ADMIN_URL
    bare_database: str = "bench_bare"
    service_database: str = "bench_service"
    role: str = APP_ROLE

    def url(self, database: str, user: str | None = None, driver: str = "postgresql") -> str:
        url = make_url(self.admin_url).set(drivername=driver, database=database)
        if user is not None:
            url = url.set(username=user, password=None)  # the ordinary role logs in by trust
        return url.render_as_string(hide_password=False)

    @property
    def bare_dsn(self) -> str:
        return self.url(self.bare_database) + _PLAIN

    @property
    def service_url(self) -> str:
        """The service runs as an ordinary role, so row-level security is really evaluated."""
        return self.url(self.service_database, user=self.role) + _PLAIN

    @property
    def migration_url(self) -> str:
        return self.url(self.service_database, driver="postgresql+asyncpg")


@dataclass(frozen=True, slots=True)
class SqliteTarget:
    bare_path: Path = OUT / "bare.db"
    service_path: Path = OUT / "service.db"

    @property
    def service_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.service_path}"


async def load_postgres(dataset: Dataset, target: PostgresTarget) -> None:
    admin = await asyncpg.connect(target.url(make_url(target.admin_url).database or "postgres"))
    try:
        for name in (target.bare_database, target.service_database):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        await _ensure_role(admin, target.role)
    finally:
        await admin.close()
    await _copy(target.bare_dsn, bare_asyncpg.SCHEMA, _BARE_COLUMNS, map(_bare_record, dataset.tasks))
    await asyncio.to_thread(upgrade_to_head, target.migration_url)  # it runs its own event loop
    grants = (
        f'GRANT USAGE ON SCHEMA public TO "{target.role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{target.role}"',
    )
    rows = [task_to_row(task) for task in dataset.tasks]
    columns = list(rows[0]) if rows else []
    await _copy(target.url(target.service_database), grants, columns, map(_json_tags, rows))


async def drop_postgres(target: PostgresTarget) -> None:
    admin = await asyncpg.connect(target.url(make_url(target.admin_url).database or "postgres"))
    try:
        for name in (target.bare_database, target.service_database):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _ensure_role(admin: asyncpg.Connection, role: str) -> None:
    """An ordinary role: no superuser, no BYPASSRLS, so policies apply to it."""
    if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        with contextlib.suppress(asyncpg.DuplicateObjectError):  # a parallel run made it first
            await admin.execute(f'CREATE ROLE "{role}" LOGIN')
    await admin.execute(f'ALTER ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS')


async def _copy(
    dsn: str, statements: Iterable[str], columns: list[str], records: Iterable[tuple[Any, ...]]
) -> None:
    """Run the set-up statements, COPY the rows into tasks, and ANALYZE as autovacuum soon would."""
    connection = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await connection.execute(statement)
        await connection.copy_records_to_table("tasks", records=list(records), columns=columns)
        await connection.execute("ANALYZE tasks")
    finally:
        await connection.close()


_BARE_COLUMNS = [
    "id", "user_id", "title", "description", "priority", "tags", "due_at", "recurrence", "completed",
    "created_at", "updated_at", "completed_at", "version", "title_key", "search_key", "position",
]  # fmt: skip


def _bare_record(task: Task) -> tuple[Any, ...]:
    """A task as the bare apps store it (in _BARE_COLUMNS order); times stay datetimes for asyncpg."""
    return (
        task.id,
        task.owner_id,
        task.title,
        task.description,
        task.priority.rank,
        json.dumps(list(task.tags)),
        task.due_at,
        None if task.recurrence is None else task.recurrence.value,
        task.completed,
        task.created_at,
        task.updated_at,
        task.completed_at,
        task.version,
        task.title_key,
        task.search_text,
        task.position,
    )


def _json_tags(row: dict[str, Any]) -> tuple[Any, ...]:
    """asyncpg's COPY takes jsonb as text."""
    return tuple(json.dumps(value) if name == "tags" else value for name, value in row.items())


def load_sqlite(dataset: Dataset, target: SqliteTarget) -> None:
    for path in (target.bare_path, target.service_path):
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
    bare = sqlite3.connect(target.bare_path)
    try:
        for statement in bare_aiosqlite.SCHEMA:
            bare.execute(statement)
        marks = ", ".join("?" * len(_BARE_COLUMNS))
        rows = (tuple(map(_sqlite_value, _bare_record(task))) for task in dataset.tasks)
        bare.executemany(f"INSERT INTO tasks ({', '.join(_BARE_COLUMNS)}) VALUES ({marks})", rows)
        bare.commit()
    finally:
        bare.close()
    upgrade_to_head(target.service_url)
    # SQLAlchemy's own types write the values, exactly as the service's adapter would store them.
    engine = create_engine(f"sqlite:///{target.service_path}")
    try:
        with engine.begin() as connection:
            # A 256 MB page cache: the service's indexes fill in random order.
            connection.exec_driver_sql("PRAGMA cache_size=-262144")
            connection.execute(insert(tasks_table), [task_to_row(task) for task in dataset.tasks])
    finally:
        engine.dispose()


def _sqlite_value(value: Any) -> Any:
    """Times as the bare app's fixed-width text, ids as text; the rest as sqlite3 stores it."""
    if isinstance(value, datetime):
        return bare_aiosqlite.stamp(value)
    return str(value) if isinstance(value, UUID) else value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per user")
    parser.add_argument("--backends", default="postgres,sqlite")
    args = parser.parse_args(argv)
    dataset = build(args.users, args.tasks)
    backends = args.backends.split(",")
    if "postgres" in backends:
        target = PostgresTarget()
        asyncio.run(load_postgres(dataset, target))
        print(
            f"PostgreSQL: {target.bare_database}, {target.service_database}: {len(dataset.tasks)} tasks each"
        )
    if "sqlite" in backends:
        files = SqliteTarget()
        load_sqlite(dataset, files)
        print(f"SQLite: {files.bare_path}, {files.service_path}: {len(dataset.tasks)} tasks each")


if __name__ == "__main__":
    main()
