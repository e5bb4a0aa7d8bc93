"""The contract every unit of work and repository keeps: memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest

from application.ports import UnitOfWorkFactory
from application.queries import PagePosition, TaskFilter
from domain.errors import OwnershipViolation
from domain.task import Priority, Recurrence, TaskChanges
from tests.support.builders import T0, a_task, new_owner, tasks_over_time


async def test_a_committed_task_reads_back_equal_in_every_field(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    task = a_task(
        owner,
        title="Pay rent",
        description="Before the 5th — ünïcode ✓",
        priority=Priority.HIGH,
        tags=("home", "money"),
        due_at=T0 + timedelta(days=3),
        recurrence=Recurrence.MONTHLY,
    )

    async with uow_factory(owner) as uow:
        await uow.tasks.add(task)
        await uow.commit()
    async with uow_factory(owner) as uow:
        loaded = await uow.tasks.get(task.id)

    assert loaded == task


async def test_work_that_is_not_committed_is_rolled_back(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    task = a_task(owner)

    async with uow_factory(owner) as uow:
        await uow.tasks.add(task)
    async with uow_factory(owner) as uow:
        loaded = await uow.tasks.get(task.id)

    assert loaded is None


async def test_an_error_inside_the_unit_of_work_rolls_everything_back(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    kept, dropped = a_task(owner, title="kept"), a_task(owner, title="dropped")
    async with uow_factory(owner) as uow:
        await uow.tasks.add(kept)
        await uow.commit()

    with pytest.raises(RuntimeError):
        async with uow_factory(owner) as uow:
            await uow.tasks.add(dropped)
            await uow.tasks.delete(kept.id)
            raise RuntimeError("the use case failed half-way")

    async with uow_factory(owner) as uow:
        assert await uow.tasks.get(kept.id) == kept
        assert await uow.tasks.get(dropped.id) is None


async def test_another_owners_task_cannot_be_read_changed_or_deleted(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = new_owner(), new_owner()
    task = a_task(alice)
    async with uow_factory(alice) as uow:
        await uow.tasks.add(task)
        await uow.commit()
    stolen = dataclasses.replace(task, owner_id=bob, title="changed by bob", version=2)

    async with uow_factory(bob) as uow:
        seen = await uow.tasks.get(task.id)
        listed = await uow.tasks.find(TaskFilter())
        updated = await uow.tasks.update(stolen, expected_version=1)
        deleted = await uow.tasks.delete(task.id)
        await uow.commit()

    assert (seen, listed, updated, deleted) == (None, [], False, False)
    async with uow_factory(alice) as uow:
        assert await uow.tasks.get(task.id) == task


async def test_a_repository_refuses_to_store_another_owners_task(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = new_owner(), new_owner()

    async with uow_factory(alice) as uow:
        with pytest.raises(OwnershipViolation):
            await uow.tasks.add(a_task(bob))


async def test_an_update_only_lands_on_the_expected_version(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    task = a_task(owner)
    async with uow_factory(owner) as uow:
        await uow.tasks.add(task)
        await uow.commit()
    first, second = dataclasses.replace(task), dataclasses.replace(task)
    first.apply(TaskChanges(title="first writer"), T0 + timedelta(minutes=1))
    second.apply(TaskChanges(title="second writer"), T0 + timedelta(minutes=2))

    async with uow_factory(owner) as uow:
        first_landed = await uow.tasks.update(first, expected_version=1)
        await uow.commit()
    async with uow_factory(owner) as uow:
        second_landed = await uow.tasks.update(second, expected_version=1)
        await uow.commit()

    assert (first_landed, second_landed) == (True, False)
    async with uow_factory(owner) as uow:
        assert await uow.tasks.get(task.id) == first


async def test_a_delete_at_a_stale_version_deletes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    task = a_task(owner)
    async with uow_factory(owner) as uow:
        await uow.tasks.add(task)
        await uow.commit()

    async with uow_factory(owner) as uow:
        stale = await uow.tasks.delete(task.id, expected_version=7)
        current = await uow.tasks.delete(task.id, expected_version=1)
        await uow.commit()

    assert (stale, current) == (False, True)
    async with uow_factory(owner) as uow:
        assert await uow.tasks.get(task.id) is None


async def test_listing_is_newest_first_with_ties_broken_by_id_and_pages_by_keyset(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_owner()
    spread = tasks_over_time(owner, 5)
    same_instant = [a_task(owner, title=f"tie {n}", at=T0 + timedelta(minutes=10)) for n in range(3)]
    async with uow_factory(owner) as uow:
        for task in spread + same_instant:
            await uow.tasks.add(task)
        await uow.commit()
    expected = sorted(spread + same_instant, key=lambda task: (task.created_at, task.id), reverse=True)

    seen = []
    after = None
    async with uow_factory(owner) as uow:
        while page := await uow.tasks.find(TaskFilter(after=after, limit=3)):
            seen.extend(page)
            after = PagePosition(value=page[-1].created_at, id=page[-1].id)

    assert [task.id for task in seen] == [task.id for task in expected]


async def test_listing_filters_by_completion(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    done = a_task(owner, title="done", completed=True)
    open_ = a_task(owner, title="open", at=T0 + timedelta(seconds=1))
    async with uow_factory(owner) as uow:
        await uow.tasks.add(done)
        await uow.tasks.add(open_)
        await uow.commit()

    async with uow_factory(owner) as uow:
        completed = await uow.tasks.find(TaskFilter(completed=True))
        pending = await uow.tasks.find(TaskFilter(completed=False))

    assert [task.id for task in completed] == [done.id]
    assert [task.id for task in pending] == [open_.id]


async def test_an_unknown_id_is_simply_absent(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()

    async with uow_factory(owner) as uow:
        missing = await uow.tasks.get(uuid.uuid4())
        deleted = await uow.tasks.delete(uuid.uuid4())

    assert (missing, deleted) == (None, False)


async def test_a_unit_of_work_reads_the_tasks_it_added_before_it_commits(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_owner()
    first, second = a_task(owner, title="first"), a_task(owner, title="second")

    async with uow_factory(owner) as uow:
        await uow.tasks.add(first)
        assert await uow.tasks.get(first.id) == first
        await uow.tasks.add(second)
        listed = await uow.tasks.find(TaskFilter())
        await uow.commit()

    assert {task.id for task in listed} == {first.id, second.id}
    async with uow_factory(owner) as uow:
        assert await uow.tasks.get(second.id) == second


async def test_a_count_is_of_every_task_the_filter_selects_whatever_its_position_and_limit(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner, other = new_owner(), new_owner()
    tasks = [
        a_task(owner, title="milk", tags=("home",), at=T0),
        a_task(owner, title="bread", tags=("home",), completed=True, at=T0 + timedelta(minutes=1)),
        a_task(owner, title="report", tags=("work",), at=T0 + timedelta(minutes=2)),
        a_task(other, title="their milk", tags=("home",), at=T0),
    ]
    for task in tasks:
        async with uow_factory(task.owner_id) as uow:
            await uow.tasks.add(task)
            await uow.commit()
    after_first = PagePosition(tasks[2].created_at, tasks[2].id)

    async with uow_factory(owner) as uow:
        counts = [
            await uow.tasks.count(TaskFilter(limit=1)),
            await uow.tasks.count(TaskFilter(tags=("home",), limit=1, after=after_first)),
            await uow.tasks.count(TaskFilter(completed=False, text="milk")),
            await uow.tasks.count(TaskFilter(completed=True, tags=("work",))),
        ]

    assert counts == [3, 2, 1, 0]
