"""Create a task for its owner."""

from application.retry import retry_transient
from application.tasks.changes import TaskWriter
from domain.task import Task, TaskDraft


class CreateTask(TaskWriter):
    @retry_transient
    async def __call__(self, owner_id: str, draft: TaskDraft) -> Task:
        task = Task.create(id=self._ids.new_id(), owner_id=owner_id, draft=draft, now=self._clock.now())
        async with self._uow(owner_id) as uow:
            await uow.tasks.add(task)
            await uow.commit()
        return task
