"""Change one of the owner's tasks: partially, whole, or by flipping `completed`."""

from collections.abc import Callable, Collection
from datetime import datetime
from uuid import UUID

from application.errors import TransientConflict
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.retry import retry_transient
from domain.errors import TaskNotFound, VersionMismatch
from domain.task import Task, TaskChanges, TaskDraft

Change = Callable[[Task, datetime], bool]


async def store_change(uow: UnitOfWork, task: Task, change: Change, now: datetime, ids: IdGenerator) -> bool:
    """The one way a loaded task is changed and stored: apply `change`; if anything changed, store
    the task only if nobody stored a newer version since it was loaded (else TransientConflict, and
    the whole use case runs again: see retry_transient), and when the change completed a recurring
    task, add the next occurrence it brings. Whether anything changed."""
    loaded_version, was_completed = task.version, task.completed
    if not change(task, now):
        return False
    # Decided before the update, so the stored task remembers its successor (it brings one once).
    successor = None if was_completed else task.bring_next_occurrence(id=ids.new_id(), now=now)
    if not await uow.tasks.update(task, expected_version=loaded_version):
        raise TransientConflict(f"task {task.id} changed during the change")
    if successor is not None:
        await uow.tasks.add(successor)
    return True


class TaskWriter:
    """A use case that stores tasks: the units of work it opens, the clock that dates what it
    stores, and the ids of the tasks it makes (a completed recurring task brings the next one)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids


class _ChangeTask(TaskWriter):
    """Load, check `If-Match`, change, store. A lost race runs the whole change again on the newer
    version (one retry layer, retry_transient): with `If-Match` that reload is the caller's 412."""

    @retry_transient
    async def _change(
        self, owner_id: str, task_id: UUID, change: Change, if_match: Collection[int] | None
    ) -> Task:
        async with self._uow(owner_id) as uow:
            task = await uow.tasks.get(task_id, for_update=True)
            if task is None:
                raise TaskNotFound(task_id)
            if if_match is not None and task.version not in if_match:
                raise VersionMismatch(task_id)
            if await store_change(uow, task, change, self._clock.now(), self._ids):
                await uow.commit()
        return task


class UpdateTask(_ChangeTask):
    async def __call__(
        self, owner_id: str, task_id: UUID, changes: TaskChanges, *, if_match: Collection[int] | None = None
    ) -> Task:
        return await self._change(owner_id, task_id, lambda task, now: task.apply(changes, now), if_match)


class ReplaceTask(_ChangeTask):
    async def __call__(
        self, owner_id: str, task_id: UUID, draft: TaskDraft, *, if_match: Collection[int] | None = None
    ) -> Task:
        changes = draft.as_changes()
        return await self._change(owner_id, task_id, lambda task, now: task.apply(changes, now), if_match)


class ToggleTask(_ChangeTask):
    async def __call__(
        self, owner_id: str, task_id: UUID, *, if_match: Collection[int] | None = None
    ) -> Task:
        return await self._change(owner_id, task_id, _toggle, if_match)


def _toggle(task: Task, now: datetime) -> bool:
    task.toggle(now)
    return True
