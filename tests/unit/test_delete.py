"""Deleting a task: only the owner's, and only at the version If-Match names."""

from __future__ import annotations

from uuid import UUID

import pytest

from application.tasks import CreateTask, DeleteTask, GetTask, UpdateTask
from domain.errors import TaskNotFound, VersionMismatch
from domain.task import Task, TaskChanges, TaskDraft


@pytest.fixture
async def task(create: CreateTask) -> Task:
    return await create("alice", TaskDraft(title="Buy milk"))


async def test_a_deleted_task_is_gone(delete: DeleteTask, get: GetTask, task: Task) -> None:
    await delete("alice", task.id)

    with pytest.raises(TaskNotFound):
        await get("alice", task.id)


async def test_deleting_an_unknown_task_is_not_found(delete: DeleteTask) -> None:
    with pytest.raises(TaskNotFound):
        await delete("alice", UUID(int=404))


async def test_deleting_another_owners_task_is_not_found_and_leaves_it(
    delete: DeleteTask, get: GetTask, task: Task
) -> None:
    with pytest.raises(TaskNotFound):
        await delete("bob", task.id)

    assert await get("alice", task.id) == task


async def test_a_delete_with_a_matching_if_match_deletes(
    delete: DeleteTask, update: UpdateTask, get: GetTask, task: Task
) -> None:
    await update("alice", task.id, TaskChanges(title="Buy oat milk"))

    await delete("alice", task.id, if_match={2})

    with pytest.raises(TaskNotFound):
        await get("alice", task.id)


async def test_a_delete_with_a_stale_if_match_is_refused_and_the_task_stays(
    delete: DeleteTask, get: GetTask, task: Task
) -> None:
    with pytest.raises(VersionMismatch):
        await delete("alice", task.id, if_match={2})

    assert await get("alice", task.id) == task


async def test_a_delete_with_if_match_on_an_unknown_task_is_not_found(delete: DeleteTask) -> None:
    with pytest.raises(TaskNotFound):
        await delete("alice", UUID(int=404), if_match={1})


async def test_a_delete_with_if_match_on_another_owners_task_is_not_found(
    delete: DeleteTask, get: GetTask, task: Task
) -> None:
    with pytest.raises(TaskNotFound):
        await delete("bob", task.id, if_match={1})

    assert await get("alice", task.id) == task
