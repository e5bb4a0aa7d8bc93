"""Use cases on task lists: create, read, change, reorder and delete an owner's lists."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from application.errors import TransientConflict
from application.ports import UnitOfWork
from application.positions import fitting_between, fresh_positions
from application.retry import retry_transient
from application.summaries import ListSummary
from application.tasks.changes import TaskWriter
from domain.errors import InvalidList, ListNotFound, ListVersionMismatch, TooManyLists
from domain.task_list import MAX_LISTS, ListChanges, TaskList


class _ListUseCase(TaskWriter):
    """Lists are stored as tasks are: units of work, a clock, new ids (and deleting one deletes tasks)."""


class CreateList(_ListUseCase):
    @retry_transient
    async def __call__(self, owner_id: str, name: str, color: str | None = None) -> ListSummary:
        """The new list goes last; an owner has at most MAX_LISTS (TooManyLists beyond)."""
        task_list = TaskList.create(
            id=self._ids.new_id(), owner_id=owner_id, name=name, color=color, now=self._clock.now()
        )
        async with self._uow(owner_id) as uow:
            await uow.hold("lists")  # two creations must not both count 999
            if await uow.lists.count() >= MAX_LISTS:
                raise TooManyLists(owner_id)
            await uow.lists.add(task_list)
            await uow.commit()
        return ListSummary(list=task_list, open_tasks=0)


class ListLists(_ListUseCase):
    async def __call__(self, owner_id: str, *, archived: bool = False) -> list[ListSummary]:
        """The owner's lists in their order: those not archived, or (`archived`) those archived."""
        async with self._uow(owner_id) as uow:
            return await uow.lists.summaries(archived=archived)


class GetList(_ListUseCase):
    async def __call__(self, owner_id: str, list_id: UUID) -> ListSummary:
        async with self._uow(owner_id) as uow:
            found = await uow.lists.summary(list_id)
        if found is None:
            raise ListNotFound(list_id)
        return found


async def _loaded(uow: UnitOfWork, list_id: UUID, if_match: Collection[int] | None) -> TaskList:
    task_list = await uow.lists.get(list_id, for_update=True)
    if task_list is None:
        raise ListNotFound(list_id)
    if if_match is not None and task_list.version not in if_match:
        raise ListVersionMismatch(list_id)
    return task_list


async def _stored(uow: UnitOfWork, task_list: TaskList, loaded_version: int) -> ListSummary:
    if not await uow.lists.update(task_list, expected_version=loaded_version):
        raise TransientConflict(f"list {task_list.id} changed during the change")
    summary = await uow.lists.summary(task_list.id)
    assert summary is not None  # it was just stored, in this transaction
    await uow.commit()
    return summary


class UpdateList(_ListUseCase):
    @retry_transient
    async def __call__(
        self, owner_id: str, list_id: UUID, changes: ListChanges, *, if_match: Collection[int] | None = None
    ) -> ListSummary:
        async with self._uow(owner_id) as uow:
            task_list = await _loaded(uow, list_id, if_match)
            loaded = task_list.version
            if not task_list.apply(changes, self._clock.now()):
                found = await uow.lists.summary(list_id)
                assert found is not None
                return found
            return await _stored(uow, task_list, loaded)


class MoveList(_ListUseCase):
    @retry_transient
    async def __call__(
        self, owner_id: str, list_id: UUID, after: UUID | None, *, if_match: Collection[int] | None = None
    ) -> ListSummary:
        """Put the list just after list `after` (None: first). Another owner's `after` is not found."""
        async with self._uow(owner_id) as uow:
            task_list = await _loaded(uow, list_id, if_match)
            loaded, now = task_list.version, self._clock.now()
            order = [sibling for sibling in await uow.lists.siblings() if sibling.id != list_id]
            ids = [sibling.id for sibling in order]
            if after == list_id:
                raise InvalidList("after", "must be another list than the one moved")
            if after is None:
                index = 0
            elif after in ids:
                index = ids.index(after) + 1
            else:
                raise ListNotFound(after)
            before = order[index - 1].position if index > 0 else None
            beyond = order[index].position if index < len(order) else None
            position = fitting_between(before, beyond)
            if position is None:
                position = await self._rebalance(uow, ids, index, list_id, now)
            task_list.move_to(position, now)
            return await _stored(uow, task_list, loaded)

    @staticmethod
    async def _rebalance(uow: UnitOfWork, ids: list[UUID], index: int, list_id: UUID, now: datetime) -> str:
        order = [*ids[:index], list_id, *ids[index:]]
        fresh = dict(zip(order, fresh_positions(len(order)), strict=True))
        for other in ids:
            sibling = await uow.lists.get(other, for_update=True)
            if sibling is not None:
                loaded = sibling.version
                if sibling.move_to(fresh[other], now) and not await uow.lists.update(
                    sibling, expected_version=loaded
                ):
                    raise TransientConflict(f"list {other} changed during a rebalance")
        return fresh[list_id]


class DeleteList(_ListUseCase):
    @retry_transient
    async def __call__(
        self, owner_id: str, list_id: UUID, *, if_match: Collection[int] | None = None
    ) -> None:
        """Delete the list and every task in it, in one transaction."""
        async with self._uow(owner_id) as uow:
            task_list = await _loaded(uow, list_id, if_match)
            if not await uow.lists.delete(list_id, expected_version=task_list.version):
                raise TransientConflict(f"list {list_id} changed during the deletion")
            await uow.commit()
