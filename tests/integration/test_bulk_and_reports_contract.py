"""Reading and deleting many tasks at once, and counting them, keep the owner's scope on every adapter."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from application.ports import UnitOfWorkFactory
from application.summaries import TagCount, TaskStats
from domain.task import Task
from tests.support.builders import T0, a_task, new_owner

NOW = T0 + timedelta(days=1)
NOBODYS_ID = uuid.UUID("01900000-0000-7000-8000-000000000000")


async def _store(uow_factory: UnitOfWorkFactory, *tasks: Task) -> None:
    for task in tasks:
        async with uow_factory(task.owner_id) as uow:
            await uow.tasks.add(task)
            await uow.commit()


@pytest.mark.parametrize("for_update", [False, True], ids=["read", "for-update"])
async def test_get_many_returns_only_the_owners_tasks_among_the_ids(
    uow_factory: UnitOfWorkFactory, for_update: bool
) -> None:
    alice, bob = new_owner(), new_owner()
    first, second, unasked = a_task(alice, title="first"), a_task(alice, title="second"), a_task(alice)
    bobs = a_task(bob)
    await _store(uow_factory, first, second, unasked, bobs)

    async with uow_factory(alice) as uow:
        found = await uow.tasks.get_many([first.id, second.id, bobs.id, NOBODYS_ID], for_update=for_update)

    assert found == {first.id: first, second.id: second}


async def test_get_many_of_no_ids_finds_nothing(uow_factory: UnitOfWorkFactory) -> None:
    alice = new_owner()
    await _store(uow_factory, a_task(alice))

    async with uow_factory(alice) as uow:
        found = await uow.tasks.get_many([])

    assert found == {}


async def test_delete_many_deletes_only_the_owners_tasks_and_returns_their_ids(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = new_owner(), new_owner()
    doomed, kept, bobs = a_task(alice, title="doomed"), a_task(alice, title="kept"), a_task(bob)
    await _store(uow_factory, doomed, kept, bobs)

    async with uow_factory(alice) as uow:
        deleted = await uow.tasks.delete_many([doomed.id, bobs.id, NOBODYS_ID])
        await uow.commit()

    assert deleted == {doomed.id}
    async with uow_factory(alice) as uow:
        assert await uow.tasks.get_many([doomed.id, kept.id]) == {kept.id: kept}
    async with uow_factory(bob) as uow:
        assert await uow.tasks.get(bobs.id) == bobs


async def test_another_owner_deletes_nothing_of_the_owners_tasks(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = new_owner(), new_owner()
    tasks = [a_task(alice, title=f"task {n}") for n in range(3)]
    await _store(uow_factory, *tasks)

    async with uow_factory(bob) as uow:
        deleted = await uow.tasks.delete_many([task.id for task in tasks])
        await uow.commit()

    assert deleted == set()
    async with uow_factory(alice) as uow:
        assert await uow.tasks.get_many([task.id for task in tasks]) == {task.id: task for task in tasks}


async def test_delete_many_that_is_not_committed_is_rolled_back(uow_factory: UnitOfWorkFactory) -> None:
    alice = new_owner()
    tasks = [a_task(alice, title=f"task {n}") for n in range(3)]
    await _store(uow_factory, *tasks)

    async with uow_factory(alice) as uow:
        await uow.tasks.delete_many([task.id for task in tasks])
    async with uow_factory(alice) as uow:
        remaining = await uow.tasks.get_many([task.id for task in tasks])

    assert remaining == {task.id: task for task in tasks}


async def test_stats_count_the_owners_tasks_and_only_theirs(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = new_owner(), new_owner()
    past, future = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    await _store(
        uow_factory,
        a_task(alice, title="late", due_at=past),
        a_task(alice, title="late too", due_at=NOW - timedelta(days=30)),
        a_task(alice, title="due at this very moment", due_at=NOW),
        a_task(alice, title="not yet due", due_at=future),
        a_task(alice, title="no due date"),
        a_task(alice, title="done late", due_at=past, completed=True),
        a_task(alice, title="done", completed=True),
        a_task(bob, title="bob's late one", due_at=past),
        a_task(bob, title="bob's done one", completed=True),
    )

    async with uow_factory(alice) as uow:
        stats = await uow.tasks.stats(NOW)

    assert stats == TaskStats(total=7, completed=2, pending=5, overdue=2)


async def test_stats_of_an_owner_without_tasks_are_all_zero(uow_factory: UnitOfWorkFactory) -> None:
    await _store(uow_factory, a_task(new_owner(), due_at=NOW - timedelta(days=1)))

    async with uow_factory(new_owner()) as uow:
        stats = await uow.tasks.stats(NOW)

    assert stats == TaskStats(total=0, completed=0, pending=0, overdue=0)


async def test_tag_counts_are_the_owners_tags_most_used_first_then_by_name(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = new_owner(), new_owner()
    await _store(
        uow_factory,
        a_task(alice, tags=("work", "home")),
        a_task(alice, tags=("work",)),
        a_task(alice, tags=("errands", "work", "home")),
        a_task(alice, tags=("zebra",)),
        a_task(alice, tags=("ab",)),
        a_task(alice, tags=("a-b",)),
        a_task(alice, tags=("été",)),
        a_task(alice),
        a_task(bob, tags=("work", "secret")),
    )

    async with uow_factory(alice) as uow:
        counts = await uow.tasks.tag_counts()

    # Ties in code-point order on every adapter, whatever the database's collation.
    assert counts == [
        TagCount(name="work", count=3),
        TagCount(name="home", count=2),
        TagCount(name="a-b", count=1),
        TagCount(name="ab", count=1),
        TagCount(name="errands", count=1),
        TagCount(name="zebra", count=1),
        TagCount(name="été", count=1),
    ]


async def test_tag_counts_of_an_owner_without_tags_are_empty(uow_factory: UnitOfWorkFactory) -> None:
    alice = new_owner()
    await _store(uow_factory, a_task(alice), a_task(new_owner(), tags=("someone else's",)))

    async with uow_factory(alice) as uow:
        counts = await uow.tasks.tag_counts()

    assert counts == []
