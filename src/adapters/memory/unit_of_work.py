"""An in-memory store with transactional units of work over it."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime
from uuid import UUID

from adapters.memory.idempotency import IdempotencyLedger, InMemoryIdempotencyKeys
from application.ports import TaskRepository, UnitOfWork
from application.queries import PagePosition, Sort, TaskFilter
from application.summaries import TagCount, TaskStats
from domain.task import Task


class InMemoryStore:
    """Committed tasks by id, shared by every unit of work made over it."""

    def __init__(self) -> None:
        self.tasks: dict[UUID, Task] = {}
        self.idempotency = IdempotencyLedger()


class InMemoryTaskRepository(TaskRepository):
    """Reads the committed store through this transaction's staged writes.

    Tasks are copied in and out, so changing a loaded task changes nothing until it is
    stored and the unit of work commits.
    """

    def __init__(self, owner_id: str, store: InMemoryStore) -> None:
        super().__init__(owner_id)
        self._store = store
        self.staged: dict[UUID, Task | None] = {}

    async def _add(self, task: Task) -> None:
        self.staged[task.id] = copy.copy(task)

    async def _get(self, owner_id: str, task_id: UUID, for_update: bool) -> Task | None:
        task = self._visible().get(task_id)
        return copy.copy(task) if task is not None and task.owner_id == owner_id else None

    async def _count(self, owner_id: str, task_filter: TaskFilter) -> int:
        visible = self._visible().values()
        return sum(1 for task in visible if task.owner_id == owner_id and _selects(task_filter, task))

    async def _find(self, owner_id: str, task_filter: TaskFilter) -> list[Task]:
        mine = [
            task
            for task in self._visible().values()
            if task.owner_id == owner_id and _selects(task_filter, task)
        ]
        ordered = _in_order(mine, task_filter.sort)
        if task_filter.after is not None:
            ordered = [task for task in ordered if _is_after(task, task_filter.after, task_filter.sort)]
        skipped = task_filter.offset
        return [copy.copy(task) for task in ordered[skipped : skipped + task_filter.limit]]

    async def _update(self, owner_id: str, task: Task, expected_version: int) -> bool:
        current = self._visible().get(task.id)
        if current is None or current.owner_id != owner_id or current.version != expected_version:
            return False
        self.staged[task.id] = copy.copy(task)
        return True

    async def _delete(self, owner_id: str, task_id: UUID, expected_version: int | None) -> bool:
        current = self._visible().get(task_id)
        if current is None or current.owner_id != owner_id:
            return False
        if expected_version is not None and current.version != expected_version:
            return False
        self.staged[task_id] = None
        return True

    async def _get_many(self, owner_id: str, task_ids: frozenset[UUID], for_update: bool) -> dict[UUID, Task]:
        return {task.id: copy.copy(task) for task in self._owned(owner_id) if task.id in task_ids}

    async def _delete_many(self, owner_id: str, task_ids: frozenset[UUID]) -> set[UUID]:
        deleted = {task.id for task in self._owned(owner_id) if task.id in task_ids}
        self.staged.update(dict.fromkeys(deleted))
        return deleted

    async def _stats(self, owner_id: str, now: datetime) -> TaskStats:
        mine = self._owned(owner_id)
        completed = sum(task.completed for task in mine)
        overdue = sum(not task.completed and task.due_at is not None and task.due_at < now for task in mine)
        return TaskStats(total=len(mine), completed=completed, pending=len(mine) - completed, overdue=overdue)

    async def _tag_counts(self, owner_id: str) -> list[TagCount]:
        counts = Counter(tag for task in self._owned(owner_id) for tag in task.tags)
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [TagCount(name=name, count=count) for name, count in ordered]

    def _owned(self, owner_id: str) -> list[Task]:
        return [task for task in self._visible().values() if task.owner_id == owner_id]

    def _visible(self) -> dict[UUID, Task]:
        visible = dict(self._store.tasks)
        for task_id, task in self.staged.items():
            if task is None:
                visible.pop(task_id, None)
            else:
                visible[task_id] = task
        return visible


class InMemoryUnitOfWork(UnitOfWork):
    def __init__(self, owner_id: str, store: InMemoryStore) -> None:
        self.owner_id = owner_id
        self._store = store
        self.tasks = self._repository = InMemoryTaskRepository(owner_id, store)
        self.idempotency_keys = self._keys = InMemoryIdempotencyKeys(owner_id, store.idempotency)
        self.committed = False

    async def commit(self) -> None:
        for task_id, task in self._repository.staged.items():
            if task is None:
                self._store.tasks.pop(task_id, None)
            else:
                self._store.tasks[task_id] = task
        self._repository.staged.clear()
        self._keys.commit()
        self.committed = True

    async def rollback(self) -> None:
        self._repository.staged.clear()
        self._keys.rollback()


def _selects(wanted: TaskFilter, task: Task) -> bool:
    """Every condition of the filter, as the SQL adapter states it in WHERE."""
    due, now = task.due_at, wanted.now
    is_overdue = due is not None and now is not None and due < now and not task.completed
    return (
        (wanted.completed is None or task.completed == wanted.completed)
        and (wanted.priority is None or task.priority == wanted.priority)
        and all(tag in task.tags for tag in wanted.tags)
        and (wanted.text is None or wanted.text in task.search_text)
        and (wanted.due_before is None or (due is not None and due < wanted.due_before))
        and (wanted.due_after is None or (due is not None and due > wanted.due_after))
        and (wanted.overdue is None or is_overdue == wanted.overdue)
    )


def _in_order(tasks: list[Task], sort: Sort) -> list[Task]:
    """Sorted on the field, ties by id, in the sort's direction; tasks without the value last."""
    present = [task for task in tasks if sort.value_of(task) is not None]
    missing = [task for task in tasks if sort.value_of(task) is None]
    present.sort(key=lambda task: (sort.value_of(task), task.id), reverse=sort.descending)
    missing.sort(key=lambda task: task.id, reverse=sort.descending)
    return present + missing


def _is_after(task: Task, position: PagePosition, sort: Sort) -> bool:
    value = sort.value_of(task)
    if position.value is None:  # the page ended among the tasks without a value
        return value is None and (task.id < position.id if sort.descending else task.id > position.id)
    if value is None:
        return True
    here, there = (value, task.id), (position.value, position.id)
    return here < there if sort.descending else here > there
