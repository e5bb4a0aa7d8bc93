"""The change log's contract, on memory, SQLite, PostgreSQL and PgBouncer alike: every committed
write to an owner's tasks and lists is logged in the same transaction (cascades too), at positions
that count up from 1 with no gap, in commit order; nothing of a rolled-back unit of work, and nothing
of anyone else's."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from application.ports import UnitOfWork, UnitOfWorkFactory
from application.sync import Change
from domain.task import Task
from domain.task_list import TaskList
from tests.support.builders import T0, a_task, new_owner

LATER = T0 + timedelta(hours=1)


def a_list(owner_id: str, name: str = "Errands") -> TaskList:
    return TaskList.create(id=uuid.uuid4(), owner_id=owner_id, name=name, color=None, now=T0)


async def _log(uow_factory: UnitOfWorkFactory, owner: str, after: int = 0) -> list[Change]:
    async with uow_factory(owner) as uow:
        return await uow.changes.since(after, 1000)


async def _head(uow_factory: UnitOfWorkFactory, owner: str) -> int:
    async with uow_factory(owner) as uow:
        return await uow.changes.head()


def _folded(changes: list[Change]) -> dict[tuple[str, uuid.UUID], bool]:
    """Each item's last change: deleted or not."""
    return {(change.kind, change.item_id): change.deleted for change in changes}


async def test_an_owner_with_no_change_has_an_empty_log_at_position_0(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    assert await _log(uow_factory, owner) == []
    assert await _head(uow_factory, owner) == 0


async def test_each_committed_write_is_logged_at_the_next_position_with_no_gap(
    uow_factory: UnitOfWorkFactory,
) -> None:
    owner = new_owner()
    task = a_task(owner)
    async with uow_factory(owner) as uow:
        await uow.tasks.add(task)
        await uow.commit()
    async with uow_factory(owner) as uow:
        renamed = dataclasses.replace(task, title="renamed", version=2, updated_at=LATER)
        assert await uow.tasks.update(renamed, expected_version=1)
        await uow.commit()
    async with uow_factory(owner) as uow:
        assert await uow.tasks.delete(task.id)
        await uow.commit()

    log = await _log(uow_factory, owner)

    assert [(c.position, c.kind, c.item_id, c.deleted) for c in log] == [
        (1, "task", task.id, False),
        (2, "task", task.id, False),
        (3, "task", task.id, True),
    ]
    assert await _head(uow_factory, owner) == 3
    assert await _log(uow_factory, owner, after=2) == log[2:]
    async with uow_factory(owner) as uow:
        assert await uow.changes.since(0, 2) == log[:2]


async def test_a_rolled_back_unit_of_work_leaves_nothing_in_the_log(uow_factory: UnitOfWorkFactory) -> None:
    owner = new_owner()
    async with uow_factory(owner) as uow:
        await uow.tasks.add(a_task(owner))
    with pytest.raises(RuntimeError):
        async with uow_factory(owner) as uow:
            await uow.lists.add(a_list(owner))
            await uow.tasks.add(a_task(owner))
            raise RuntimeError("the use case failed half-way")
    kept = a_task(owner)
    async with uow_factory(owner) as uow:
        await uow.tasks.add(kept)
        await uow.commit()

    assert [(c.position, c.item_id) for c in await _log(uow_factory, owner)] == [(1, kept.id)]


async def test_another_owners_writes_are_not_in_the_log_and_do_not_move_its_positions(
    uow_factory: UnitOfWorkFactory,
) -> None:
    alice, bob = new_owner(), new_owner()
    for owner in (alice, bob, alice):
        async with uow_factory(owner) as uow:
            await uow.tasks.add(a_task(owner))
            await uow.commit()

    assert [c.position for c in await _log(uow_factory, alice)] == [1, 2]
    assert [c.position for c in await _log(uow_factory, bob)] == [1]


@dataclasses.dataclass(frozen=True)
class Made:
    """A list holding a parent task and its subtask, and a task in the Inbox."""

    errands: TaskList
    parent: Task
    child: Task
    other: Task


Logged = set[tuple[str, uuid.UUID, bool]]  # (kind, item id, deleted)
Write = Callable[[UnitOfWork, Made], Awaitable[Logged]]


async def _delete_many(uow: UnitOfWork, made: Made) -> Logged:
    assert await uow.tasks.delete_many([made.parent.id, made.other.id]) == {made.parent.id, made.other.id}
    return {("task", task.id, True) for task in (made.parent, made.child, made.other)}


async def _delete_parent(uow: UnitOfWork, made: Made) -> Logged:
    assert await uow.tasks.delete(made.parent.id)
    return {("task", made.parent.id, True), ("task", made.child.id, True)}


async def _delete_list(uow: UnitOfWork, made: Made) -> Logged:
    assert await uow.lists.delete(made.errands.id)
    return {("list", made.errands.id, True), ("task", made.parent.id, True), ("task", made.child.id, True)}


async def _update_list(uow: UnitOfWork, made: Made) -> Logged:
    renamed = dataclasses.replace(made.errands, name="Chores", version=2, updated_at=LATER)
    assert await uow.lists.update(renamed, expected_version=1)
    return {("list", made.errands.id, False)}


async def _complete_subtree(uow: UnitOfWork, made: Made) -> Logged:
    assert await uow.tasks.complete_subtree(made.parent.id, LATER) == 1
    return {("task", made.child.id, False)}


async def _move_subtree(uow: UnitOfWork, made: Made) -> Logged:
    assert await uow.tasks.move_subtree(made.parent.id, None, LATER) == 1
    return {("task", made.child.id, False)}


@pytest.mark.parametrize(
    "write", [_delete_many, _delete_parent, _delete_list, _update_list, _complete_subtree, _move_subtree]
)
async def test_every_write_is_logged_cascades_included_in_the_same_transaction(
    uow_factory: UnitOfWorkFactory, write: Write
) -> None:
    owner = new_owner()
    errands = a_list(owner)
    parent = dataclasses.replace(a_task(owner, title="parent"), list_id=errands.id)
    child = dataclasses.replace(a_task(owner, title="child"), list_id=errands.id, parent_id=parent.id)
    made = Made(errands, parent, child, a_task(owner, title="other"))
    async with uow_factory(owner) as uow:
        await uow.lists.add(errands)
        for task in (parent, child, made.other):
            await uow.tasks.add(task)
        await uow.commit()
    before = await _head(uow_factory, owner)

    async with uow_factory(owner) as uow:
        expected = await write(uow, made)
        await uow.commit()
    logged = await _log(uow_factory, owner, after=before)

    assert {(kind, item_id, deleted) for (kind, item_id), deleted in _folded(logged).items()} == expected
    assert [c.position for c in logged] == list(range(before + 1, before + 1 + len(logged)))


async def test_concurrent_writers_get_positions_in_commit_order_that_a_reader_never_passes_over(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """20 writers of one owner at once, and a reader following the log meanwhile: what it reads
    is the whole log, each change once, in order; it never skips a position that fills in later."""
    owner = new_owner()
    stop = asyncio.Event()
    read: list[Change] = []

    async def write(n: int) -> None:
        for k in range(3):
            async with uow_factory(owner) as uow:
                await uow.tasks.add(a_task(owner, title=f"{n}-{k}"))
                await uow.commit()

    async def follow() -> None:
        while True:
            done = stop.is_set()
            async with uow_factory(owner) as uow:
                read.extend(await uow.changes.since(read[-1].position if read else 0, 1000))
            if done:
                return
            await asyncio.sleep(0)

    reader = asyncio.create_task(follow())
    await asyncio.gather(*(write(n) for n in range(20)))
    stop.set()
    await reader

    assert [c.position for c in read] == list(range(1, 61))
    assert read == await _log(uow_factory, owner)
