"""Complete, reopen or delete many of the owner's tasks at once, all or nothing."""

from collections.abc import Collection
from enum import StrEnum
from uuid import UUID

from application.retry import retry_transient
from application.tasks.changes import TaskWriter, store_change
from domain.errors import InvalidSelection, TasksNotFound
from domain.task import TaskChanges

MAX_BULK_IDS = 100


class BulkAction(StrEnum):
    COMPLETE = "complete"
    REOPEN = "reopen"
    DELETE = "delete"


class ActOnTasks(TaskWriter):
    """One unit of work for the whole set: if any id is not the owner's, nothing changes."""

    @retry_transient
    async def __call__(self, owner_id: str, action: BulkAction, task_ids: Collection[UUID]) -> int:
        """How many tasks changed: those deleted, or those whose `completed` actually flipped
        (a task already in the wanted state is left alone and not counted)."""
        wanted = list(dict.fromkeys(task_ids))  # a repeated id counts once; the order names the missing
        if len(wanted) > MAX_BULK_IDS:
            raise InvalidSelection("ids", f"at most {MAX_BULK_IDS} tasks at once")
        async with self._uow(owner_id) as uow:
            if action is BulkAction.DELETE:
                deleted = await uow.tasks.delete_many(wanted)
                _require_all(wanted, deleted)  # raising rolls the deletions back
                affected = len(deleted)
            else:
                found = await uow.tasks.get_many(wanted, for_update=True)
                _require_all(wanted, found)
                completed = action is BulkAction.COMPLETE
                now = self._clock.now()
                affected = 0
                changes = TaskChanges(completed=completed)
                for task_id in wanted:
                    affected += await store_change(
                        uow, found[task_id], lambda task, at: task.apply(changes, at), now, self._ids
                    )
            await uow.commit()
        return affected


def _require_all(wanted: list[UUID], found: Collection[UUID]) -> None:
    missing = [task_id for task_id in wanted if task_id not in found]
    if missing:
        raise TasksNotFound(missing)
