"""Complete, reopen, delete or move many of the owner's tasks at once, all or nothing."""

from collections.abc import Collection
from enum import StrEnum
from uuid import UUID

from application.ports import UnitOfWork
from application.positions import position_between
from application.queries import Place
from application.retry import retry_transient
from application.tasks.changes import Change, TaskWriter, store_change
from application.tasks.placing import Destination, place_of_new
from domain.errors import InvalidSelection, TasksNotFound
from domain.task import UNSET, Placing, Task, TaskChanges, Unset

MAX_BULK_IDS = 100


class BulkAction(StrEnum):
    COMPLETE = "complete"
    REOPEN = "reopen"
    DELETE = "delete"
    MOVE = "move"


class ActOnTasks(TaskWriter):
    """One unit of work for the whole set: if any id is not the owner's, nothing changes."""

    @retry_transient
    async def __call__(
        self,
        owner_id: str,
        action: BulkAction,
        task_ids: Collection[UUID],
        *,
        list_id: UUID | Unset | None = UNSET,
    ) -> int:
        """How many tasks changed: those deleted (their subtasks go with them, uncounted), those
        whose `completed` actually flipped (a task already in the wanted state is left alone and
        not counted), or those moved: each to the top level of list `list_id` (None: the Inbox),
        last, in the order named, its subtasks with it; one whose ancestor is named too moves
        inside that one, where it is, and one already at the top level of that list stays."""
        wanted = list(dict.fromkeys(task_ids))  # a repeated id counts once; the order names the missing
        if len(wanted) > MAX_BULK_IDS:
            raise InvalidSelection("ids", f"at most {MAX_BULK_IDS} tasks at once")
        if (action is BulkAction.MOVE) == isinstance(list_id, Unset):
            raise InvalidSelection("list_id", "is what a move takes, and only a move")
        async with self._uow(owner_id) as uow:
            if action is BulkAction.DELETE:
                # Read first: a task deleted with its named parent is no longer there to delete.
                found = await uow.tasks.get_many(wanted, for_update=True)
                _require_all(wanted, found)
                await uow.tasks.delete_many(wanted)
                affected = len(found)
            elif action is BulkAction.MOVE:
                await uow.hold("trees")  # before any row lock, as every change of the trees
                found = await uow.tasks.get_many(wanted, for_update=True)
                _require_all(wanted, found)
                target, _ = await place_of_new(uow, Destination(list_id=list_id, parent_id=None))
                above = await _named_above(uow, wanted, found)
                movers = [
                    found[task_id]
                    for task_id in wanted
                    if not above[task_id] and Place.of(found[task_id]) != Place(target, None)
                ]
                last = await uow.tasks.siblings(Place(target, None), limit=1, last=True)
                position = last[0].position if last else None
                now = self._clock.now()
                for task in movers:
                    position = position_between(position, None)
                    await store_change(uow, task, _placed_at(Placing(target, None, position)), now, self._ids)
                affected = len(movers)
            else:
                found = await uow.tasks.get_many(wanted, for_update=True)
                _require_all(wanted, found)
                # Subtasks before the tasks above them: completing a task completes its subtasks,
                # and a subtask loaded before that would be a stale copy.
                above = await _named_above(uow, wanted, found)
                changes = TaskChanges(completed=action is BulkAction.COMPLETE)
                now = self._clock.now()
                affected = 0
                for task_id in sorted(wanted, key=lambda task_id: -above[task_id]):
                    affected += await store_change(
                        uow, found[task_id], lambda task, at: task.apply(changes, at), now, self._ids
                    )
            await uow.commit()
        return affected


async def _named_above(uow: UnitOfWork, wanted: list[UUID], found: dict[UUID, Task]) -> dict[UUID, int]:
    """For each task named, how many of the tasks above it (its parent, theirs, ...) are named too.
    A top-level task has none: only subtasks are looked up."""
    named = set(wanted)
    above = dict.fromkeys(wanted, 0)
    for task_id in wanted:
        if found[task_id].parent_id is not None:
            above[task_id] = len(named.intersection(await uow.tasks.ancestry(task_id)))
    return above


def _placed_at(place: Placing) -> Change:
    return lambda task, now: task.apply(TaskChanges(), now, place=place)


def _require_all(wanted: list[UUID], found: Collection[UUID]) -> None:
    missing = [task_id for task_id in wanted if task_id not in found]
    if missing:
        raise TasksNotFound(missing)
