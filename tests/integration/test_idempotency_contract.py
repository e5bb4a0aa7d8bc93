"""The idempotency-keys contract: memory, SQLite, PostgreSQL and PgBouncer alike."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

import pytest

from application.idempotency import IdempotentCreation, request_hash
from application.ports import UnitOfWorkFactory
from domain.errors import OwnershipViolation
from domain.task import Task, TaskChanges
from tests.support.builders import T0, a_task, draft_of, new_owner

TTL = timedelta(hours=1)
# Long enough for a claim that does not wait to have finished, on any backend.
SETTLE_SECONDS = 0.3


def a_creation(task: Task, key: str = "key-1", *, at: datetime = T0) -> IdempotentCreation:
    return IdempotentCreation(
        key=key, request_hash=request_hash(draft_of(task)), task=task, created_at=at, expires_at=at + TTL
    )


async def claimed_and_created(uow_factory: UnitOfWorkFactory, creation: IdempotentCreation) -> None:
    """What the use case does with a key it wins: the task in the same unit of work, committed."""
    async with uow_factory(creation.task.owner_id) as uow:
        assert await uow.idempotency_keys.claim(creation) is None
        await uow.tasks.add(creation.task)
        await uow.commit()


async def claim(uow_factory: UnitOfWorkFactory, creation: IdempotentCreation) -> IdempotentCreation | None:
    """A claim in a unit of work of its own that is not committed (as when the key is taken)."""
    async with uow_factory(creation.task.owner_id) as uow:
        return await uow.idempotency_keys.claim(creation)


async def test_a_second_claim_of_a_key_gets_the_first_creation_back(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    first = a_creation(a_task(owner, title="Buy milk"))
    await claimed_and_created(uow_factory, first)

    again = await claim(
        uow_factory, a_creation(a_task(owner, title="Buy milk"), at=T0 + timedelta(minutes=5))
    )

    assert again == first


async def test_a_claim_with_another_request_gets_the_first_requests_hash_back(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_owner()
    first = a_creation(a_task(owner, title="Buy milk"))
    await claimed_and_created(uow_factory, first)
    other = a_creation(a_task(owner, title="Buy bread"))

    again = await claim(uow_factory, other)

    assert again is not None
    assert again.request_hash == first.request_hash != other.request_hash


async def test_the_first_creation_keeps_the_task_as_it_was_created_not_as_it_is_now(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_owner()
    first = a_creation(a_task(owner))
    await claimed_and_created(uow_factory, first)
    edited = dataclasses.replace(first.task)
    edited.apply(TaskChanges(title="Edited since"), T0 + timedelta(minutes=1))
    async with uow_factory(owner) as uow:
        assert await uow.tasks.update(edited, expected_version=1)
        await uow.commit()

    again = await claim(uow_factory, a_creation(a_task(owner)))

    assert again is not None
    assert again.task == first.task
    assert (again.task.title, again.task.version) == ("Write the report", 1)


async def test_a_claim_that_is_not_committed_leaves_the_key_free(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    await claim(uow_factory, a_creation(a_task(owner)))

    retried = await claim(uow_factory, a_creation(a_task(owner)))

    assert retried is None


async def test_a_key_answers_until_it_expires_and_is_taken_over_from_then(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_owner()
    first = a_creation(a_task(owner, title="first"))
    await claimed_and_created(uow_factory, first)
    expiry = first.expires_at
    successor = a_creation(a_task(owner, title="second", at=expiry), at=expiry)

    just_before = await claim(uow_factory, a_creation(a_task(owner), at=expiry - timedelta(microseconds=1)))
    await claimed_and_created(uow_factory, successor)
    afterwards = await claim(uow_factory, a_creation(a_task(owner), at=expiry + timedelta(seconds=1)))

    assert just_before == first
    assert afterwards == successor


async def test_another_owners_claim_of_the_same_key_is_independent(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = new_owner(), new_owner()
    alices = a_creation(a_task(alice, title="alice's"), key="shared")
    bobs = a_creation(a_task(bob, title="bob's"), key="shared")
    await claimed_and_created(uow_factory, alices)

    async with uow_factory(bob) as uow:
        bob_claimed = await uow.idempotency_keys.claim(bobs)
        await uow.tasks.add(bobs.task)
        await uow.commit()
    alice_again = await claim(uow_factory, a_creation(a_task(alice), key="shared"))
    bob_again = await claim(uow_factory, a_creation(a_task(bob), key="shared"))

    assert bob_claimed is None
    assert alice_again == alices
    assert bob_again == bobs


async def test_a_claim_refuses_a_creation_of_another_owners_task(uow_factory: UnitOfWorkFactory) -> None:
    alice, bob = new_owner(), new_owner()

    async with uow_factory(alice) as uow:
        with pytest.raises(OwnershipViolation):
            await uow.idempotency_keys.claim(a_creation(a_task(bob)))


async def test_a_second_claim_waits_for_an_uncommitted_first_and_then_gets_its_creation(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_owner()
    first = a_creation(a_task(owner, title="first"))
    second = a_creation(a_task(owner, title="first"))

    async with uow_factory(owner) as winner:
        assert await winner.idempotency_keys.claim(first) is None
        waiting = asyncio.create_task(claim(uow_factory, second))
        await asyncio.sleep(SETTLE_SECONDS)
        waited = not waiting.done()
        await winner.tasks.add(first.task)
        await winner.commit()
    seen = await waiting

    assert waited
    assert seen == first


async def test_a_second_claim_waiting_on_a_first_that_rolls_back_takes_the_key(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_owner()
    first = a_creation(a_task(owner, title="abandoned"))
    second = a_creation(a_task(owner, title="abandoned"))

    async with uow_factory(owner) as loser:
        assert await loser.idempotency_keys.claim(first) is None
        waiting = asyncio.create_task(claim(uow_factory, second))
        await asyncio.sleep(SETTLE_SECONDS)
        waited = not waiting.done()
    seen = await waiting

    assert waited
    assert seen is None
