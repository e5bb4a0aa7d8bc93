"""Create a task for its owner."""

from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.retry import retry_transient
from domain.task import Task, TaskDraft


class CreateTask:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    @retry_transient
    async def __call__(self, owner_id: str, draft: TaskDraft) -> Task:
        task = Task.create(id=self._ids.new_id(), owner_id=owner_id, draft=draft, now=self._clock.now())
        async with self._uow(owner_id) as uow:
            await uow.tasks.add(task)
            await uow.commit()
        return task
