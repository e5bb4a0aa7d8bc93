"""The composite foreign keys hold a task's list and its parent to the task's own owner, whatever
code writes the row: raw statements that bypass the repository (and, on PostgreSQL, row-level
security, as a superuser) still cannot point alice's task at bob's list or at bob's task, nor
hand a placed task or a list with tasks to another owner. On SQLite, with foreign keys enforced as
the service's connections enforce them (PRAGMA foreign_keys=ON), the same.

Each refusal has a twin that differs only in pointing at alice's own row and succeeds: what is
refused is the other owner, not the statement.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Executable, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlmodel.engine import create_engine
from adapters.sqlmodel.mappers import list_to_row, task_to_row
from adapters.sqlmodel.setup import PoolOptions
from adapters.sqlmodel.tables import lists_table, tasks_table
from domain.task import Task
from domain.task_list import TaskList
from tests.conftest import DATABASES
from tests.support.builders import T0, a_task, new_owner

_l, _t = lists_table.c, tasks_table.c


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    """The migrated database, written past the repository: on PostgreSQL as a role that row-level
    security does not apply to, on SQLite with the service's PRAGMAs (foreign_keys=ON among them)."""
    url = request.getfixturevalue(f"{request.param}_url")
    engine = create_engine(url, PoolOptions(null_pool=True))
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            bypasses = await connection.scalar(
                text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
            assert bypasses, "these tests write past row-level security: they need such a role"
        else:
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
    yield engine
    await engine.dispose()


def _a_list(owner: str, name: str) -> TaskList:
    return TaskList.create(id=uuid.uuid4(), owner_id=owner, name=name, color=None, now=T0)


@dataclass(frozen=True)
class Owners:
    """Alice and bob, each with a list, a task at its top level, and a task in the Inbox."""

    alice: str
    bob: str
    alices_list: TaskList
    bobs_list: TaskList
    alices_listed: Task
    bobs_listed: Task
    alices_inbox: Task


async def _written(engine: AsyncEngine) -> Owners:
    alice, bob = new_owner(), new_owner()
    alices_list, bobs_list = _a_list(alice, "Alice's"), _a_list(bob, "Bob's")
    alices_listed = replace(a_task(alice, title="in alice's list"), list_id=alices_list.id)
    bobs_listed = replace(a_task(bob, title="in bob's list"), list_id=bobs_list.id)
    alices_inbox = a_task(alice, title="in alice's inbox", at=T0 + timedelta(minutes=1))
    async with engine.begin() as connection:
        await connection.execute(insert(lists_table), [list_to_row(alices_list), list_to_row(bobs_list)])
        await connection.execute(
            insert(tasks_table), [task_to_row(task) for task in (alices_listed, bobs_listed, alices_inbox)]
        )
    return Owners(alice, bob, alices_list, bobs_list, alices_listed, bobs_listed, alices_inbox)


def _is_foreign_key_violation(error: IntegrityError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate == "23503" or "FOREIGN KEY constraint failed" in str(error.orig)


async def _refused(engine: AsyncEngine, statement: Executable) -> None:
    with pytest.raises(IntegrityError) as raised:
        async with engine.begin() as connection:
            await connection.execute(statement)
    assert _is_foreign_key_violation(raised.value), raised.value


async def _accepted(engine: AsyncEngine, statement: Executable) -> int:
    async with engine.begin() as connection:
        return (await connection.execute(statement)).rowcount


async def _place_of(engine: AsyncEngine, task: Task) -> tuple[Any, ...]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(select(_t.user_id, _t.list_id, _t.parent_id).where(_t.id == task.id))
        ).one()
    return tuple(row)


def _new_task_in(owner: str, *, list_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> Executable:
    task = replace(a_task(owner, title="written past the repository"), list_id=list_id, parent_id=parent_id)
    return insert(tasks_table).values(task_to_row(task))


async def test_a_task_cannot_be_inserted_into_another_owners_list(engine: AsyncEngine) -> None:
    owners = await _written(engine)

    await _refused(engine, _new_task_in(owners.alice, list_id=owners.bobs_list.id, parent_id=None))
    assert (
        await _accepted(engine, _new_task_in(owners.alice, list_id=owners.alices_list.id, parent_id=None))
        == 1
    )


async def test_a_task_cannot_be_inserted_under_another_owners_task(engine: AsyncEngine) -> None:
    owners = await _written(engine)
    bobs_parent, alices_parent = owners.bobs_listed, owners.alices_listed

    await _refused(engine, _new_task_in(owners.alice, list_id=owners.bobs_list.id, parent_id=bobs_parent.id))
    await _refused(
        engine, _new_task_in(owners.alice, list_id=owners.alices_list.id, parent_id=bobs_parent.id)
    )
    await _refused(engine, _new_task_in(owners.alice, list_id=None, parent_id=bobs_parent.id))
    created = _new_task_in(owners.alice, list_id=owners.alices_list.id, parent_id=alices_parent.id)
    assert await _accepted(engine, created) == 1


async def test_a_task_cannot_be_moved_into_another_owners_list(engine: AsyncEngine) -> None:
    owners = await _written(engine)
    moved = owners.alices_inbox

    await _refused(engine, update(tasks_table).where(_t.id == moved.id).values(list_id=owners.bobs_list.id))

    assert await _place_of(engine, moved) == (owners.alice, None, None)
    assert (
        await _accepted(
            engine, update(tasks_table).where(_t.id == moved.id).values(list_id=owners.alices_list.id)
        )
        == 1
    )


async def test_a_task_cannot_be_moved_under_another_owners_task(engine: AsyncEngine) -> None:
    owners = await _written(engine)
    moved = owners.alices_inbox

    await _refused(
        engine, update(tasks_table).where(_t.id == moved.id).values(parent_id=owners.bobs_listed.id)
    )
    await _refused(
        engine,
        update(tasks_table)
        .where(_t.id == moved.id)
        .values(list_id=owners.alices_list.id, parent_id=owners.bobs_listed.id),
    )

    assert await _place_of(engine, moved) == (owners.alice, None, None)
    assert (
        await _accepted(
            engine,
            update(tasks_table)
            .where(_t.id == moved.id)
            .values(list_id=owners.alices_list.id, parent_id=owners.alices_listed.id),
        )
        == 1
    )


async def test_a_placed_task_or_a_list_with_tasks_cannot_be_handed_to_another_owner(
    engine: AsyncEngine,
) -> None:
    """Changing the owner half of a key: the task's list (or parent) would stay its old owner's."""
    owners = await _written(engine)
    async with engine.begin() as connection:
        subtask = replace(a_task(owners.alice, title="under alice's task"), parent_id=owners.alices_inbox.id)
        await connection.execute(insert(tasks_table).values(task_to_row(subtask)))

    await _refused(
        engine, update(tasks_table).where(_t.id == owners.alices_listed.id).values(user_id=owners.bob)
    )
    await _refused(engine, update(tasks_table).where(_t.id == subtask.id).values(user_id=owners.bob))
    await _refused(
        engine, update(lists_table).where(_l.id == owners.alices_list.id).values(user_id=owners.bob)
    )

    assert await _place_of(engine, owners.alices_listed) == (owners.alice, owners.alices_list.id, None)
    assert await _place_of(engine, subtask) == (owners.alice, None, owners.alices_inbox.id)


async def test_deleting_a_list_or_a_task_deletes_what_is_in_it_and_nothing_of_another_owner(
    engine: AsyncEngine,
) -> None:
    owners = await _written(engine)
    async with engine.begin() as connection:
        subtask = replace(
            a_task(owners.alice, title="under alice's listed task"),
            list_id=owners.alices_list.id,
            parent_id=owners.alices_listed.id,
        )
        await connection.execute(insert(tasks_table).values(task_to_row(subtask)))

    deleted = await _accepted(engine, lists_table.delete().where(_l.id == owners.alices_list.id))

    async with engine.connect() as connection:
        left = set(
            (await connection.scalars(select(_t.id).where(_t.user_id.in_([owners.alice, owners.bob])))).all()
        )
    assert deleted == 1
    assert left == {owners.alices_inbox.id, owners.bobs_listed.id}
