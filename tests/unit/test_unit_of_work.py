"""The in-memory unit of work: nothing lasts without a commit, and each one sees one owner only."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from application.queries import TaskFilter
from domain.errors import OwnershipViolation
from domain.task import Task, TaskChanges, TaskDraft

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def new_task(owner_id: str = "alice", n: int = 1) -> Task:
    return Task.create(id=UUID(int=n), owner_id=owner_id, draft=TaskDraft(title=f"Task {n}"), now=NOW)


async def stored(store: InMemoryStore, owner_id: str, task_id: UUID) -> Task | None:
    async with InMemoryUnitOfWork(owner_id, store) as uow:
        return await uow.tasks.get(task_id)


async def commit_new(store: InMemoryStore, task: Task) -> None:
    async with InMemoryUnitOfWork(task.owner_id, store) as uow:
        await uow.tasks.add(task)
        await uow.commit()


class Boom(Exception):
    """Something going wrong inside a unit of work."""


async def add_then_fail(store: InMemoryStore, task: Task) -> None:
    async with InMemoryUnitOfWork(task.owner_id, store) as uow:
        await uow.tasks.add(task)
        raise Boom


async def test_committed_work_is_seen_by_a_new_unit_of_work(store: InMemoryStore) -> None:
    task = new_task()

    async with InMemoryUnitOfWork("alice", store) as uow:
        await uow.tasks.add(task)
        await uow.commit()

    assert uow.committed is True
    assert await stored(store, "alice", task.id) == task


async def test_rolls_back_uncommitted_work_by_default(store: InMemoryStore) -> None:
    task = new_task()

    async with InMemoryUnitOfWork("alice", store) as uow:
        await uow.tasks.add(task)

    assert uow.committed is False
    assert await stored(store, "alice", task.id) is None


async def test_rolls_back_on_error(store: InMemoryStore) -> None:
    task = new_task()

    with pytest.raises(Boom):
        await add_then_fail(store, task)

    assert await stored(store, "alice", task.id) is None


async def test_a_unit_of_work_reads_its_own_uncommitted_writes(store: InMemoryStore) -> None:
    task = new_task()

    async with InMemoryUnitOfWork("alice", store) as uow:
        await uow.tasks.add(task)
        seen = await uow.tasks.get(task.id)

    assert seen == task


async def test_uncommitted_work_is_not_seen_by_another_unit_of_work(store: InMemoryStore) -> None:
    task = new_task()

    async with InMemoryUnitOfWork("alice", store) as writer:
        await writer.tasks.add(task)
        seen_elsewhere = await stored(store, "alice", task.id)

    assert seen_elsewhere is None


async def test_changing_a_loaded_task_changes_nothing_until_it_is_stored(store: InMemoryStore) -> None:
    task = new_task()
    await commit_new(store, task)

    async with InMemoryUnitOfWork("alice", store) as uow:
        loaded = await uow.tasks.get(task.id)
        assert loaded is not None
        loaded.apply(TaskChanges(title="Changed in memory only"), NOW)
        await uow.commit()

    assert await stored(store, "alice", task.id) == task


async def test_an_update_at_the_stored_version_is_kept(store: InMemoryStore) -> None:
    task = new_task()
    await commit_new(store, task)
    changed = copy.copy(task)
    changed.apply(TaskChanges(title="Renamed"), NOW)

    async with InMemoryUnitOfWork("alice", store) as uow:
        written = await uow.tasks.update(changed, expected_version=1)
        await uow.commit()

    assert written is True
    assert await stored(store, "alice", task.id) == changed


async def test_an_update_based_on_a_stale_version_is_not_written(store: InMemoryStore) -> None:
    task = new_task()
    await commit_new(store, task)
    rival, mine = copy.copy(task), copy.copy(task)
    rival.apply(TaskChanges(title="Rival"), NOW)
    mine.apply(TaskChanges(title="Mine"), NOW)
    async with InMemoryUnitOfWork("alice", store) as other:
        await other.tasks.update(rival, expected_version=1)
        await other.commit()

    async with InMemoryUnitOfWork("alice", store) as uow:
        written = await uow.tasks.update(mine, expected_version=1)
        await uow.commit()

    assert written is False
    assert await stored(store, "alice", task.id) == rival


async def test_a_repository_cannot_get_another_owners_task(store: InMemoryStore) -> None:
    bobs = new_task("bob")
    await commit_new(store, bobs)

    async with InMemoryUnitOfWork("alice", store) as uow:
        seen = await uow.tasks.get(bobs.id)

    assert seen is None


async def test_a_repository_finds_only_its_owners_tasks(store: InMemoryStore) -> None:
    alices = new_task("alice", 1)
    await commit_new(store, alices)
    await commit_new(store, new_task("bob", 2))

    async with InMemoryUnitOfWork("alice", store) as uow:
        found = await uow.tasks.find(TaskFilter())

    assert found == [alices]


async def test_a_repository_cannot_delete_another_owners_task(store: InMemoryStore) -> None:
    bobs = new_task("bob")
    await commit_new(store, bobs)

    async with InMemoryUnitOfWork("alice", store) as uow:
        deleted = await uow.tasks.delete(bobs.id)
        await uow.commit()

    assert deleted is False
    assert await stored(store, "bob", bobs.id) == bobs


async def test_a_repository_refuses_to_update_another_owners_task(store: InMemoryStore) -> None:
    bobs = new_task("bob")
    await commit_new(store, bobs)
    hijacked = copy.copy(bobs)
    hijacked.apply(TaskChanges(title="Hijacked"), NOW)

    async with InMemoryUnitOfWork("alice", store) as uow:
        with pytest.raises(OwnershipViolation):
            await uow.tasks.update(hijacked, expected_version=1)
        await uow.commit()

    assert await stored(store, "bob", bobs.id) == bobs


async def test_a_repository_does_not_update_another_owners_row_through_its_own_task(
    store: InMemoryStore,
) -> None:
    bobs = new_task("bob")
    await commit_new(store, bobs)
    impostor = new_task("alice")
    impostor.apply(TaskChanges(title="Hijacked"), NOW)

    async with InMemoryUnitOfWork("alice", store) as uow:
        written = await uow.tasks.update(impostor, expected_version=1)
        await uow.commit()

    assert written is False
    assert await stored(store, "bob", bobs.id) == bobs


async def test_adding_another_owners_task_is_an_ownership_violation(store: InMemoryStore) -> None:
    bobs = new_task("bob")

    async with InMemoryUnitOfWork("alice", store) as uow:
        with pytest.raises(OwnershipViolation):
            await uow.tasks.add(bobs)
        await uow.commit()

    assert store.tasks == {}
