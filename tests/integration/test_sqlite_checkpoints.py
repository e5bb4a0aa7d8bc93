"""SQLite's WAL is copied into the database file in the background, by a connection of its own, and
then started again from its beginning: it does not grow with the writes, a failed checkpoint costs
no write, and closing the database closes that connection too."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from adapters.sqlmodel import sqlite as sqlite_adapter
from adapters.sqlmodel.sqlite import SqliteDatabase
from adapters.sqlmodel.transactions import TransactionPolicy
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from domain.task import Task
from tests.support.builders import a_task, new_owner
from tests.support.databases import migrate

COMMITS = 300


def migrated(path: Path) -> Path:
    migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """A migrated database of the test's own: what its WAL holds is this test's doing alone."""
    return migrated(tmp_path / "tasks.db")


def opened(path: Path, every_s: float | None) -> SqliteDatabase:
    return SqliteDatabase(str(path), TransactionPolicy(), checkpoint_every_s=every_s)


async def add(database: SqliteDatabase, task: Task) -> None:
    async with SqlUnitOfWork(task.owner_id, database=database) as uow:
        await uow.tasks.add(task)
        await uow.commit()


async def stored(database: SqliteDatabase, task: Task) -> Task | None:
    async with SqlUnitOfWork(task.owner_id, database=database) as uow:
        return await uow.tasks.get(task.id)


def wal_pages(path: Path) -> int:
    """How many pages the WAL file has room for: it only grows, so this is the most it ever held."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    return Path(f"{path}-wal").stat().st_size // page_size


async def most_wal_pages_after_commits(path: Path, every_s: float | None) -> int:
    database = opened(path, every_s)
    owner = new_owner()
    try:
        for n in range(COMMITS):
            await add(database, a_task(owner, title=f"task {n}"))
            # A moment between requests, as a service has: a busy machine can hold the checkpoint's
            # thread back for as long as a tight loop takes to write hundreds of commits.
            await asyncio.sleep(0.002)
        return wal_pages(path)
    finally:
        await database.close()


async def test_the_wal_starts_again_once_checkpointed_instead_of_growing_with_the_writes(
    tmp_path: Path,
) -> None:
    never = await most_wal_pages_after_commits(migrated(tmp_path / "never.db"), None)
    checkpointed = await most_wal_pages_after_commits(migrated(tmp_path / "checkpointed.db"), 0.0)

    # Each commit writes a page of the table and one of each index, ten or so: with SQLite's own
    # checkpoint only (past AUTOCHECKPOINT_PAGES) the WAL holds them all; checkpointed in the
    # background, it starts again every few commits (how few depends on the machine's timing).
    assert never > 5 * COMMITS
    assert checkpointed < never / 2


async def test_writes_made_while_checkpoints_run_are_all_kept(sqlite_file: Path) -> None:
    database = opened(sqlite_file, 0.0)
    owner = new_owner()
    tasks = [a_task(owner, title=f"task {n}") for n in range(200)]
    try:
        for start in range(0, len(tasks), 20):  # committed together, twenty at a time
            await asyncio.gather(*(add(database, task) for task in tasks[start : start + 20]))
        assert [await stored(database, task) for task in tasks] == tasks
    finally:
        await database.close()
    with contextlib.closing(sqlite3.connect(sqlite_file)) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("SELECT count(*) FROM tasks").fetchone() == (len(tasks),)


@pytest.mark.parametrize("failing_on", ["every connection", "the writer"])
async def test_a_failed_checkpoint_is_logged_and_costs_no_write(
    sqlite_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failing_on: str,
) -> None:
    """Failing in the background, or in the writer's share right after a COMMIT (a group's, a
    lone unit of work's, or one that read first), a checkpoint must not make a committed unit of
    work look failed."""
    real = sqlite_adapter._checkpoint

    def failing(connection: sqlite3.Connection) -> bool:
        if failing_on == "every connection" or threading.current_thread().name == "sqlite writer":
            raise sqlite3.OperationalError("disk I/O error")
        return real(connection)

    monkeypatch.setattr(sqlite_adapter, "_checkpoint", failing)
    database = opened(sqlite_file, 0.0)
    owner = new_owner()
    tasks = [a_task(owner, title=f"task {n}") for n in range(30)]
    try:
        with caplog.at_level(logging.WARNING, logger=sqlite_adapter.__name__):
            for task in tasks[:10]:  # one at a time: each a group of one
                await add(database, task)
            await asyncio.gather(*(add(database, task) for task in tasks[10:]))  # groups of several
            renamed = [dataclasses.replace(task, title=f"{task.title}, renamed", version=2) for task in tasks]
            for task in renamed:  # read first, then write: committed on the writer, alone
                async with SqlUnitOfWork(owner, database=database) as uow:
                    assert await uow.tasks.get(task.id, for_update=True) is not None
                    assert await uow.tasks.update(task, expected_version=1)
                    await uow.commit()
            assert [await stored(database, task) for task in tasks] == renamed
    finally:
        await database.close()

    failures = [record for record in caplog.records if record.message == "SQLite checkpoint failed"]
    assert failures  # tried, and failed, without costing a write
    assert all(record.exc_info and "disk I/O error" in str(record.exc_info[1]) for record in failures)


async def test_closing_waits_for_the_checkpoint_and_closes_every_connection(sqlite_file: Path) -> None:
    database = opened(sqlite_file, 0.0)
    owner = new_owner()
    for n in range(20):
        await add(database, a_task(owner, title=f"task {n}"))

    await database.close()

    # SQLite removes the WAL when the last connection to the file closes, having copied it all.
    assert not sqlite_file.with_name(f"{sqlite_file.name}-wal").exists()
