"""Creating a task at most once per idempotency key, over the in-memory adapters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory import InMemoryStore
from application.errors import IdempotencyKeyReused
from application.ports import UnitOfWorkFactory
from application.tasks import CreateTaskOnce
from domain.task import TaskDraft
from tests.unit.fakes import FakeClock, SequentialIds

TTL = timedelta(minutes=10)


@pytest.fixture
def create_once(uow: UnitOfWorkFactory, clock: FakeClock, ids: SequentialIds) -> CreateTaskOnce:
    return CreateTaskOnce(uow, clock, ids, TTL)


async def test_a_retry_gets_the_first_task_and_stores_no_second(
    create_once: CreateTaskOnce, clock: FakeClock, store: InMemoryStore
) -> None:
    first = await create_once("alice", TaskDraft(title="Buy milk"), "key-1")
    clock.advance(5)

    retried = await create_once("alice", TaskDraft(title="Buy milk"), "key-1")

    assert retried == first
    assert list(store.tasks) == [first.id]


async def test_the_same_key_with_another_draft_is_refused_and_stores_nothing(
    create_once: CreateTaskOnce, store: InMemoryStore
) -> None:
    first = await create_once("alice", TaskDraft(title="Buy milk"), "key-1")

    with pytest.raises(IdempotencyKeyReused):
        await create_once("alice", TaskDraft(title="Buy bread"), "key-1")

    assert list(store.tasks) == [first.id]


async def test_a_draft_that_normalises_to_the_same_task_is_the_same_request(
    create_once: CreateTaskOnce, store: InMemoryStore
) -> None:
    first = await create_once("alice", TaskDraft(title="Buy milk", tags=("Home", "home")), "key-1")

    retried = await create_once("alice", TaskDraft(title=" Buy milk ", tags=("home",)), "key-1")

    assert retried == first


async def test_an_expired_key_creates_a_new_task(
    create_once: CreateTaskOnce, clock: FakeClock, store: InMemoryStore
) -> None:
    first = await create_once("alice", TaskDraft(title="Buy milk"), "key-1")
    clock.advance(TTL.total_seconds())

    second = await create_once("alice", TaskDraft(title="Buy bread"), "key-1")

    assert second.id != first.id
    assert set(store.tasks) == {first.id, second.id}


async def test_each_owner_has_keys_of_their_own(create_once: CreateTaskOnce, store: InMemoryStore) -> None:
    alices = await create_once("alice", TaskDraft(title="Buy milk"), "shared")

    bobs = await create_once("bob", TaskDraft(title="Buy milk"), "shared")

    assert (alices.owner_id, bobs.owner_id) == ("alice", "bob")
    assert set(store.tasks) == {alices.id, bobs.id}
