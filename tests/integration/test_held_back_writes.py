"""Writes nobody waits for (adding a task) may be sent only with the COMMIT; on SQLite, units of work
that do nothing else are committed together (group commit). What that must not change: each unit
of work is kept whole or not at all, a failure reaches the one it belongs to, and a caller is
answered only once its writes are committed."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from domain.task import Task
from tests.conftest import BACKENDS
from tests.support.builders import a_task, new_owner
from tests.support.databases import backend


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database[Any]]:
    target = backend(request, request.param)
    opened = create_database(target.url, pooler=target.pooler)
    yield opened
    await opened.close()


@pytest.fixture
async def sqlite_database(sqlite_url: str) -> AsyncIterator[Database[Any]]:
    opened = create_database(sqlite_url)
    yield opened
    await opened.close()


async def add(database: Database[Any], owner: str, *tasks: Task) -> None:
    async with SqlUnitOfWork(owner, database=database) as uow:
        for task in tasks:
            await uow.tasks.add(task)
        await uow.commit()


async def stored(database: Database[Any], owner: str, task: Task) -> Task | None:
    async with SqlUnitOfWork(owner, database=database) as uow:
        return await uow.tasks.get(task.id)


async def test_adding_a_task_whose_id_is_taken_fails_by_the_commit_and_keeps_nothing_of_its_unit(
    database: Database[Any],
) -> None:
    owner = new_owner()
    taken, fresh = a_task(owner, title="taken"), a_task(owner, title="fresh")
    await add(database, owner, taken)

    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await add(database, owner, fresh, dataclasses.replace(taken, title="impostor"))

    assert await stored(database, owner, fresh) is None
    assert await stored(database, owner, taken) == taken
    assert database.checked_out == 0


async def test_units_of_work_that_only_add_are_committed_together_and_all_kept(
    sqlite_database: Database[Any],
) -> None:
    owner = new_owner()
    tasks = [a_task(owner, title=f"task {n}") for n in range(20)]
    await add(sqlite_database, owner, a_task(owner))  # both connections open
    sent: list[str] = []
    sqlite_database.listeners.append(lambda sql, _: sent.append(sql.split(None, 1)[0].upper()))

    await asyncio.gather(*(add(sqlite_database, owner, task) for task in tasks))

    assert sent.count("INSERT") == 2 * len(tasks)  # each task, and its entry in the change log
    assert 1 <= sent.count("COMMIT") < len(tasks)
    for task in tasks:
        assert await stored(sqlite_database, owner, task) == task
    assert sqlite_database.checked_out == 0


async def test_in_a_group_a_failing_unit_of_work_fails_alone_and_leaves_nothing_behind(
    sqlite_database: Database[Any],
) -> None:
    owner = new_owner()
    taken = a_task(owner, title="taken")
    await add(sqlite_database, owner, taken)
    others = [a_task(owner, title=f"other {n}") for n in range(5)]
    half = a_task(owner, title="half of the failing unit")
    commits: list[str] = []
    sqlite_database.listeners.append(lambda sql, _: sql.startswith("COMMIT") and commits.append(sql))

    outcomes = await asyncio.gather(
        *(add(sqlite_database, owner, task) for task in others[:3]),
        add(sqlite_database, owner, half, dataclasses.replace(taken, title="impostor")),
        *(add(sqlite_database, owner, task) for task in others[3:]),
        return_exceptions=True,
    )

    assert len(commits) < len(outcomes)  # some of them did share a transaction
    failed = outcomes[3]
    assert isinstance(failed, sqlite3.IntegrityError)
    assert [outcome for n, outcome in enumerate(outcomes) if n != 3] == [None] * len(others)
    for task in others:
        assert await stored(sqlite_database, owner, task) == task
    assert await stored(sqlite_database, owner, half) is None
    assert await stored(sqlite_database, owner, taken) == taken


async def test_a_caller_cancelled_while_its_group_commits_does_not_stop_the_others(
    sqlite_database: Database[Any],
) -> None:
    owner = new_owner()
    await add(sqlite_database, owner, a_task(owner))
    quitter, *stayers = [a_task(owner, title=f"task {n}") for n in range(6)]

    leaving = asyncio.create_task(add(sqlite_database, owner, quitter))
    staying = [asyncio.create_task(add(sqlite_database, owner, task)) for task in stayers]
    await asyncio.sleep(0)  # each has queued its writes
    leaving.cancel()
    await asyncio.gather(*staying)

    with pytest.raises(asyncio.CancelledError):
        await leaving
    for task in stayers:
        assert await stored(sqlite_database, owner, task) == task
    assert sqlite_database.checked_out == 0
