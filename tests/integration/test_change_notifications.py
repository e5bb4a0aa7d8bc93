"""The change log's notifications on PostgreSQL: once a stream has said it listens for an owner,
every change of theirs is either told (NOTIFY, on a real LISTENing connection) or already seen by a
read of the log begun after; no change falls between, whatever the timing of its writer.

The timing that once let one fall between is forced here: the writer is held up on the owner's
counter row (by a third transaction) after its statement began, while the stream says it listens
and reads the log. (The writer's statement then saw no listener, and committed after the read
without notifying: a change late by a poll.)"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from adapters.sqlmodel.changes import CHANNEL
from adapters.sqlmodel.database import Database
from adapters.sqlmodel.notifications import ChangeNotifications
from adapters.sqlmodel.setup import create_database, postgres_connect_args
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from domain.task import Task
from tests.support.builders import T0, a_task, new_owner
from tests.support.databases import asyncpg_dsn

pytestmark = pytest.mark.postgres

Write = Callable[[Database[Any], str, Task], Awaitable[None]]


async def _create(database: Database[Any], owner: str, task: Task) -> None:
    async with SqlUnitOfWork(owner, database=database) as uow:
        await uow.tasks.add(task)
        await uow.commit()


async def _rename(database: Database[Any], owner: str, task: Task) -> None:
    """An update: logged by the deferred trigger, during COMMIT."""
    renamed = dataclasses.replace(task, title="renamed", version=2, updated_at=T0 + timedelta(hours=1))
    async with SqlUnitOfWork(owner, database=database) as uow:
        assert await uow.tasks.update(renamed, expected_version=1)
        await uow.commit()


async def _listen(database: Database[Any], owner: str) -> None:
    async with SqlUnitOfWork(owner, database=database) as uow:
        await uow.changes.listen(datetime.now(UTC) + timedelta(minutes=1))
        await uow.commit()


async def _positions_after(database: Database[Any], owner: str, position: int) -> list[int]:
    async with SqlUnitOfWork(owner, database=database) as uow:
        return [change.position for change in await uow.changes.since(position, 100)]


async def _head(database: Database[Any], owner: str) -> int:
    async with SqlUnitOfWork(owner, database=database) as uow:
        return await uow.changes.head()


async def _waiting_for_locks(admin: asyncpg.Connection) -> int:
    """How many sessions on this database wait for a lock."""
    query = """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'"""
    return int(await admin.fetchval(query))


async def _until(condition: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 (what is awaited is the database's state)
            await asyncio.sleep(0.01)


@pytest.fixture(params=["none", "transaction"], ids=["insert-withs", "insert-function"])
async def database(postgres_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Database[Any]]:
    """Direct: a new row logs itself by WITHs; as behind a pooler: by RETURNING log_change_of()."""
    database = create_database(postgres_url, pooler=request.param)
    yield database
    await database.close()


@pytest.fixture
async def admin(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(postgres_url))
    yield connection
    await connection.close()


@pytest.fixture
async def holder(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    """Holds an owner's counter row. Not `admin`, which watches: within a transaction,
    pg_stat_activity shows what it showed at its first look."""
    connection = await asyncpg.connect(asyncpg_dsn(postgres_url))
    yield connection
    await connection.close()


@pytest.fixture
async def told(postgres_url: str) -> AsyncIterator[list[str]]:
    """The owners whose changes a real LISTENing connection is told of."""
    owners: list[str] = []
    notifications = ChangeNotifications(postgres_connect_args(postgres_url), owners.append)
    notifications.start()
    async with asyncio.timeout(5):
        await notifications.listening.wait()
    yield owners
    await notifications.close()


@pytest.mark.parametrize("write", [_create, _rename], ids=["create", "update"])
async def test_a_change_whose_writer_began_before_a_stream_listened_is_told_or_read_never_neither(
    database: Database[Any],
    admin: asyncpg.Connection,
    holder: asyncpg.Connection,
    told: list[str],
    write: Write,
) -> None:
    owner = new_owner()
    task = a_task(owner)
    await _create(database, owner, task)  # the owner's counter row exists
    before = await _head(database, owner)
    held = holder.transaction()
    await held.start()
    await holder.execute("SELECT FROM change_counters WHERE user_id = $1 FOR UPDATE", owner)

    writer = asyncio.create_task(write(database, owner, task if write is _rename else a_task(owner)))
    await _until(lambda: _waiting(admin, 1))  # begun, and held up at the counter
    listener = asyncio.create_task(_listen(database, owner))
    await _until(lambda: _done_or_waiting(listener, admin, 2))
    if listener.done():  # it did not wait for the writer: a stream reads now
        await listener
        read = await _positions_after(database, owner, before)
        await held.commit()
        await asyncio.wait_for(writer, 5)
    else:  # it waits too: whichever has the counter first, the stream reads once it has said it
        await held.commit()
        await asyncio.wait_for(listener, 5)
        read = await _positions_after(database, owner, before)
        await asyncio.wait_for(writer, 5)
    if not read:  # then it must be told
        await _until(lambda: _is_in(owner, told), within=2.0)

    assert read == [before + 1] or owner in told
    assert await _positions_after(database, owner, before) == [before + 1]


async def test_a_change_made_after_a_stream_listened_is_told_and_one_made_after_it_expired_is_not(
    database: Database[Any], told: list[str]
) -> None:
    owner, quiet = new_owner(), new_owner()
    await _listen(database, owner)
    async with SqlUnitOfWork(quiet, database=database) as uow:
        await uow.changes.listen(datetime.now(UTC) - timedelta(seconds=1))  # long gone
        await uow.commit()
    first = a_task(owner)

    await _create(database, owner, first)
    await _rename(database, owner, first)
    await _create(database, quiet, a_task(quiet))

    await _until(lambda: _told_times(told, owner, 2), within=2.0)
    await asyncio.sleep(0.2)  # whatever else was coming has come
    assert quiet not in told


async def _waiting(admin: asyncpg.Connection, count: int) -> bool:
    return await _waiting_for_locks(admin) >= count


async def _done_or_waiting(task: asyncio.Task[None], admin: asyncpg.Connection, count: int) -> bool:
    return task.done() or await _waiting_for_locks(admin) >= count


async def _is_in(owner: str, told: list[str]) -> bool:
    return owner in told


async def _told_times(told: list[str], owner: str, times: int) -> bool:
    return told.count(owner) >= times


async def test_listening_stopped_and_started_at_once_is_not_said_until_the_new_connection_listens(
    postgres_url: str, admin: asyncpg.Connection
) -> None:
    """The last stream closes and a new one opens: the new stream must not take the old connection,
    on its way out, for one that listens (nor the old one's end unsay the new one's)."""
    owners: list[str] = []
    notifications = ChangeNotifications(postgres_connect_args(postgres_url), owners.append)
    notifications.start()
    await asyncio.wait_for(notifications.listening.wait(), 5)

    notifications.stop()
    notifications.start()
    said_at_once = notifications.listening.is_set()
    await asyncio.wait_for(notifications.listening.wait(), 5)
    await admin.execute(f"SELECT pg_notify('{CHANNEL}', 'someone')")
    await _until(lambda: _is_in("someone", owners), within=2.0)
    still_said = notifications.listening.is_set()
    await notifications.close()

    assert not said_at_once
    assert still_said
