"""Change one of the owner's tasks: partially, whole, or by flipping `completed`."""

import asyncio
import random
from collections.abc import Callable, Collection
from datetime import datetime
from uuid import UUID

from application.errors import ConcurrentUpdate
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.retry import retry_transient
from domain.errors import TaskNotFound, VersionMismatch
from domain.task import Task, TaskChanges, TaskDraft

Change = Callable[[Task, datetime], bool]


UNCONDITIONAL_ATTEMPTS = 10
RETRY_BACKOFF_SECONDS = 0.005


class _ChangeTask:
    """Load, check `If-Match`, change, and store only if nobody else stored first.

    With `If-Match` a lost race is the caller's 412. Without it the caller asked for no
    precondition, so the change is applied again to the newer version, a bounded number of times.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def _change(
        self, owner_id: str, task_id: UUID, change: Change, if_match: Collection[int] | None
    ) -> Task:
        attempts = 1 if if_match is not None else UNCONDITIONAL_ATTEMPTS
        for attempt in range(attempts):
            if attempt:
                # Spread the retries of writers that collided, so they do not collide again.
                await asyncio.sleep(random.uniform(0, RETRY_BACKOFF_SECONDS * attempt))  # noqa: S311
            task = await self._attempt(owner_id, task_id, change, if_match)
            if task is not None:
                return task
        if if_match is not None:
            raise VersionMismatch(task_id)
        raise ConcurrentUpdate(task_id)

    @retry_transient
    async def _attempt(
        self, owner_id: str, task_id: UUID, change: Change, if_match: Collection[int] | None
    ) -> Task | None:
        """The changed task, or None when another writer stored a newer version first."""
        async with self._uow(owner_id) as uow:
            task = await uow.tasks.get(task_id, for_update=True)
            if task is None:
                raise TaskNotFound(task_id)
            if if_match is not None and task.version not in if_match:
                raise VersionMismatch(task_id)
            loaded_version, was_completed, now = task.version, task.completed, self._clock.now()
            if change(task, now):
                # Completing a recurring task brings its next occurrence, in the same transaction,
                # once: the task is stored remembering it, so completing it again brings none.
                successor = (
                    None if was_completed else task.bring_next_occurrence(id=self._ids.new_id(), now=now)
                )
                if not await uow.tasks.update(task, expected_version=loaded_version):
                    return None
                if successor is not None:
                    await uow.tasks.add(successor)
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
