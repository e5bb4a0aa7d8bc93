"""A real deadlock on PostgreSQL reaches the use cases as a TransientConflict, to be run again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from application.errors import TransientConflict
from domain.task import Task
from tests.support.builders import a_task, new_owner

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[Database[Any]]:
    database = create_database(postgres_url)
    yield database
    await database.close()


async def test_two_units_of_work_locking_two_tasks_in_opposite_orders_end_with_one_transient_conflict(
    database: Database[Any],
) -> None:
    owner = new_owner()
    first, second = a_task(owner, title="first"), a_task(owner, title="second")
    async with SqlUnitOfWork(owner, database=database) as uow:
        await uow.tasks.add(first)
        await uow.tasks.add(second)
        await uow.commit()
    both_hold_one = asyncio.Barrier(2)

    async def lock(one: Task, other: Task) -> str:
        async with SqlUnitOfWork(owner, database=database) as uow:
            await uow.tasks.get(one.id, for_update=True)
            await both_hold_one.wait()
            await uow.tasks.get(other.id, for_update=True)
            await uow.commit()
        return "committed"

    outcomes = await asyncio.wait_for(
        asyncio.gather(lock(first, second), lock(second, first), return_exceptions=True), timeout=15
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["TransientConflict", "str"]
    assert any(isinstance(outcome, TransientConflict) for outcome in outcomes)
