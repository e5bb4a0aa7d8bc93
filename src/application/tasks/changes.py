"""Change one of the owner's tasks: partially, whole, or by flipping `completed`."""

from collections.abc import Callable, Collection
from datetime import datetime
from uuid import UUID

from application.errors import TransientConflict
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.retry import retry_transient
from application.tasks.placing import STAY, Destination, placing
from domain.errors import TaskNotFound, VersionMismatch
from domain.task import Task, TaskChanges, TaskDraft

Change = Callable[[Task, datetime], bool]


async def store_change(uow: UnitOfWork, task: Task, change: Change, now: datetime, ids: IdGenerator) -> bool:
    """The one way a loaded task is changed and stored: apply `change`; if anything changed, store
    the task only if nobody stored a newer version since it was loaded (else TransientConflict, and
    the whole use case runs again: see retry_transient). Its subtasks follow it to another list;
    completing it completes its open subtasks (without bringing their next occurrences); and when
    the change completed a recurring task, the next occurrence it brings is added, with its
    subtasks again, open. Whether anything changed."""
    loaded_version, was_completed, was_in = task.version, task.completed, task.list_id
    if not change(task, now):
        return False
    # Decided before the update, so the stored task remembers its successor (it brings one once).
    successor = None if was_completed else task.bring_next_occurrence(id=ids.new_id(), now=now)
    if not await uow.tasks.update(task, expected_version=loaded_version):
        raise TransientConflict(f"task {task.id} changed during the change")
    if task.list_id != was_in:
        await uow.tasks.move_subtree(task.id, task.list_id, now)
    if task.completed and not was_completed:
        await uow.tasks.complete_subtree(task.id, now)
    if successor is not None:
        await uow.tasks.add(successor)
        await _bring_subtasks(uow, task, successor, now, ids)
    return True


async def _bring_subtasks(
    uow: UnitOfWork, task: Task, successor: Task, now: datetime, ids: IdGenerator
) -> None:
    """The next occurrence's subtasks: the completed task's, open again, due as much later as it is."""
    subtree = await uow.tasks.subtree(task.id)
    if not subtree:
        return
    start = task.due_at or task.completed_at or now
    shift = None if successor.due_at is None else successor.due_at - start
    copies = {task.id: successor.id}
    inside = {below.id for below in subtree}
    for below in subtree:  # parents before their children
        parent = copies.get(below.parent_id) if below.parent_id is not None else None
        if parent is None or below.successor_id in inside:
            # A recurring subtask completed before brought its own next occurrence into this
            # tree already: that one is copied, not this one too (nor what is under this one).
            continue
        copy = below.open_copy(id=ids.new_id(), now=now, parent_id=parent, shift=shift)
        copies[below.id] = copy.id
        await uow.tasks.add(copy)


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
        self,
        owner_id: str,
        task_id: UUID,
        wanted: Callable[[Task], TaskChanges],
        if_match: Collection[int] | None,
        destination: Destination = STAY,
    ) -> Task:
        """Apply the changes `wanted` makes of the loaded task, and move it to `destination`
        (a PATCH of its list or parent, a move): one new version for both."""
        async with self._uow(owner_id) as uow:
            if destination.asks:
                # Before any row lock: every change of the owner's trees takes this hold first.
                await uow.hold("trees")
            task = await uow.tasks.get(task_id, for_update=True)
            if task is None:
                raise TaskNotFound(task_id)
            if if_match is not None and task.version not in if_match:
                raise VersionMismatch(task_id)
            now = self._clock.now()
            place = await placing(uow, task, destination, now) if destination.asks else None
            changes = wanted(task)
            changed = await store_change(
                uow, task, lambda task, now: task.apply(changes, now, place=place), now, self._ids
            )
            # A move may have rebalanced the siblings even when the task keeps its own key.
            if changed or destination.asks:
                await uow.commit()
        return task


class UpdateTask(_ChangeTask):
    async def __call__(
        self,
        owner_id: str,
        task_id: UUID,
        changes: TaskChanges,
        *,
        if_match: Collection[int] | None = None,
        destination: Destination = STAY,
    ) -> Task:
        return await self._change(owner_id, task_id, lambda _: changes, if_match, destination)


class ReplaceTask(_ChangeTask):
    """Every field a client sets, replaced; the task stays where it is."""

    async def __call__(
        self, owner_id: str, task_id: UUID, draft: TaskDraft, *, if_match: Collection[int] | None = None
    ) -> Task:
        changes = draft.as_changes()
        return await self._change(owner_id, task_id, lambda _: changes, if_match)


class ToggleTask(_ChangeTask):
    async def __call__(
        self, owner_id: str, task_id: UUID, *, if_match: Collection[int] | None = None
    ) -> Task:
        return await self._change(
            owner_id, task_id, lambda task: TaskChanges(completed=not task.completed), if_match
        )


class MoveTask(_ChangeTask):
    """Put a task (its subtasks with it) in another list, under another parent, or elsewhere
    among its siblings."""

    async def __call__(
        self,
        owner_id: str,
        task_id: UUID,
        destination: Destination,
        *,
        if_match: Collection[int] | None = None,
    ) -> Task:
        return await self._change(owner_id, task_id, lambda _: TaskChanges(), if_match, destination)
