"""Complete, reopen or delete many of the owner's tasks at once, all or nothing."""

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from application.errors import TransientConflict
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.retry import retry_transient
from domain.errors import InvalidSelection, TasksNotFound
from domain.task import Task, TaskChanges

MAX_BULK_IDS = 100


class BulkAction(StrEnum):
    COMPLETE = "complete"
    REOPEN = "reopen"
    DELETE = "delete"


class ActOnTasks:
    """One unit of work for the whole set: if any id is not the owner's, nothing changes."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

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
                for task_id in wanted:
                    affected += await self._set_completed(uow, found[task_id], completed, now)
            await uow.commit()
        return affected

    async def _set_completed(self, uow: UnitOfWork, task: Task, completed: bool, now: datetime) -> bool:
        loaded_version = task.version
        if not task.apply(TaskChanges(completed=completed), now):
            return False
        # Completing a recurring task brings its next occurrence, in the same transaction, once:
        # the task is stored remembering it, so completing it again brings none.
        successor = task.bring_next_occurrence(id=self._ids.new_id(), now=now) if completed else None
        if not await uow.tasks.update(task, expected_version=loaded_version):
            # Only when another writer slipped between the read and this write: start again, whole.
            raise TransientConflict(f"task {task.id} changed during a bulk change")
        if successor is not None:
            await uow.tasks.add(successor)
        return True


def _require_all(wanted: list[UUID], found: Collection[UUID]) -> None:
    missing = [task_id for task_id in wanted if task_id not in found]
    if missing:
        raise TasksNotFound(missing)
