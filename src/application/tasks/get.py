"""Fetch one of the owner's tasks."""

from uuid import UUID

from application.ports import UnitOfWorkFactory
from domain.errors import TaskNotFound
from domain.task import Task


class GetTask:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, owner_id: str, task_id: UUID) -> Task:
        async with self._uow(owner_id) as uow:
            task = await uow.tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task
