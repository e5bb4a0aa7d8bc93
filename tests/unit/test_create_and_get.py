"""Creating a task and reading it back, only ever for its owner."""

from __future__ import annotations

from uuid import UUID

import pytest

from adapters.memory import InMemoryStore
from application.tasks import CreateTask, GetTask
from domain.errors import InvalidTask, TaskNotFound
from domain.task import Priority, TaskDraft
from tests.unit.fakes import START


async def test_a_created_task_gets_its_id_and_times_from_the_ports(create: CreateTask) -> None:
    task = await create("alice", TaskDraft(title=" Buy milk ", priority=Priority.HIGH, tags=("Home",)))

    assert task.id == UUID(int=1)
    assert task.owner_id == "alice"
    assert task.title == "Buy milk"
    assert task.tags == ("home",)
    assert task.created_at == task.updated_at == START
    assert task.version == 1


async def test_a_created_task_can_be_read_back_by_its_owner(create: CreateTask, get: GetTask) -> None:
    created = await create("alice", TaskDraft(title="Buy milk", description="Semi-skimmed"))

    fetched = await get("alice", created.id)

    assert fetched == created


async def test_an_invalid_draft_stores_nothing(create: CreateTask, store: InMemoryStore) -> None:
    with pytest.raises(InvalidTask):
        await create("alice", TaskDraft(title="   "))

    assert store.tasks == {}


async def test_another_owners_task_is_not_found(create: CreateTask, get: GetTask) -> None:
    task = await create("alice", TaskDraft(title="Buy milk"))

    with pytest.raises(TaskNotFound):
        await get("bob", task.id)


async def test_an_unknown_task_is_not_found(get: GetTask) -> None:
    with pytest.raises(TaskNotFound):
        await get("alice", UUID(int=404))
