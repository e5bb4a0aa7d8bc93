"""An in-memory store with transactional units of work over it."""

from __future__ import annotations

import copy
from uuid import UUID

from application.ports import TaskFilter, TaskRepository, UnitOfWork
from domain.task import Task


class InMemoryStore:
    """Committed tasks by id, shared by every unit of work made over it."""

    def __init__(self) -> None:
        self.tasks: dict[UUID, Task] = {}


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

    async def _find(self, owner_id: str, task_filter: TaskFilter) -> list[Task]:
        after = task_filter.after
        mine = [
            task
            for task in self._visible().values()
            if task.owner_id == owner_id
            and (task_filter.completed is None or task.completed == task_filter.completed)
            and (after is None or (task.created_at, task.id) < (after.created_at, after.id))
        ]
        mine.sort(key=lambda task: (task.created_at, task.id), reverse=True)
        return [copy.copy(task) for task in mine[: task_filter.limit]]

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
        self._store = store
        self.tasks = self._repository = InMemoryTaskRepository(owner_id, store)
        self.committed = False

    async def commit(self) -> None:
        for task_id, task in self._repository.staged.items():
            if task is None:
                self._store.tasks.pop(task_id, None)
            else:
                self._store.tasks[task_id] = task
        self._repository.staged.clear()
        self.committed = True

    async def rollback(self) -> None:
        self._repository.staged.clear()
