"""Create a task for its owner."""

from application.retry import retry_transient
from application.tasks.changes import TaskWriter
from application.tasks.placing import STAY, Destination, place_of_new
from domain.task import Task, TaskDraft


class CreateTask(TaskWriter):
    @retry_transient
    async def __call__(self, owner_id: str, draft: TaskDraft, destination: Destination = STAY) -> Task:
        """The new task goes last among its siblings: in the Inbox at the top level, or in the
        list and under the parent `destination` names (its `after` is not for a creation)."""
        async with self._uow(owner_id) as uow:
            list_id = parent_id = None
            if destination.asks:
                list_id, parent_id = await place_of_new(uow, destination)
            task = Task.create(
                id=self._ids.new_id(),
                owner_id=owner_id,
                draft=draft,
                now=self._clock.now(),
                list_id=list_id,
                parent_id=parent_id,
            )
            await uow.tasks.add(task)
            await uow.commit()
        return task
