"""Where a task goes: its list, its parent and its place among its siblings, worked out from what
a request asks (a create, a PATCH, a move, a bulk move) and checked against the owner's own tasks
and lists. Moving writes the moved task's position only, between its new neighbours'
(application/positions.py), unless the group's keys have grown too long or two neighbours tie:
then the group is given fresh positions in its order (a rebalance)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.errors import TransientConflict
from application.ports import UnitOfWork
from application.positions import fitting_between, fresh_positions
from application.queries import Place, Sibling
from domain.errors import InvalidPlacement, ListNotFound, TaskNotFound
from domain.task import MAX_DEPTH, UNSET, Placing, Task, Unset


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """What a request asks of a task's place; a part left UNSET is worked out (see `placing`):
    `after` UNSET puts the task last among its siblings, None first."""

    list_id: UUID | Unset | None = UNSET
    parent_id: UUID | Unset | None = UNSET
    after: UUID | Unset | None = UNSET
    # A PATCH naming the list and parent the task has already leaves it where it is among its
    # siblings (a client that sends back every field must not reorder the task).
    stay_if_there: bool = False

    @property
    def asks(self) -> bool:
        return not (self.list_id is UNSET and self.parent_id is UNSET and self.after is UNSET)

    @property
    def names(self) -> dict[str, UUID | None]:
        """The parts it sets, by name (what an idempotent creation's hash includes)."""
        parts = {"list_id": self.list_id, "parent_id": self.parent_id, "after": self.after}
        return {name: value for name, value in parts.items() if not isinstance(value, Unset)}


STAY = Destination()


async def place_of_new(uow: UnitOfWork, destination: Destination) -> tuple[UUID | None, UUID | None]:
    """The list and parent of a task about to be made (it goes last: its position is its creation
    time's). The list and the parent named are held until the unit of work ends, and the owner's
    trees (a subtask made while its parent moves to another list must move with it)."""
    if isinstance(destination.parent_id, UUID):
        await uow.hold("trees")
    list_id, parent_id, _ = await _resolved(uow, None, destination)
    return list_id, parent_id


async def placing(uow: UnitOfWork, task: Task, destination: Destination, now: datetime) -> Placing | None:
    """Where `task` goes (None: where it is), each id checked to be the owner's (else TaskNotFound
    or ListNotFound), and the place checked to be one the task can take (else InvalidPlacement).
    Siblings whose positions a rebalance changes are stored here; the task is the caller's to store."""
    list_id, parent_id, anchor = await _resolved(uow, task, destination)
    place = Place(list_id, parent_id)
    if destination.stay_if_there and place == Place.of(task):
        return None
    position = await _position(uow, task, place, destination.after, anchor, now)
    wanted = Placing(list_id, parent_id, position)
    return None if wanted == task.placing else wanted


async def _resolved(
    uow: UnitOfWork, task: Task | None, destination: Destination
) -> tuple[UUID | None, UUID | None, Task | None]:
    """The list and parent the task goes to, and the sibling it goes after (if one is named)."""
    anchor, parent = await _named(uow, task, destination)
    here = Place(None, None) if task is None else Place.of(task)
    list_id = destination.list_id
    if isinstance(list_id, Unset):
        list_id = parent.list_id if parent else anchor.list_id if anchor else here.list_id
    parent_id = destination.parent_id
    if isinstance(parent_id, Unset):
        # After a sibling: under its parent. Elsewhere in the same list: under the same parent.
        # In another list: at its top level.
        if anchor is not None:
            parent_id = anchor.parent_id
        else:
            parent_id = here.parent_id if list_id == here.list_id else None
        if parent_id is not None and parent_id != here.parent_id:
            parent = await _task(uow, parent_id, for_update=True)
    if parent is not None:
        if parent.list_id != list_id:
            raise InvalidPlacement("parent_id", "must be a task in the same list")
        if parent.id != here.parent_id:
            await _check_nesting(uow, task, parent)
    if anchor is not None and Place.of(anchor) != Place(list_id, parent_id):
        raise InvalidPlacement("after", "must be a task of the same list, under the same parent")
    return list_id, parent_id, anchor


async def _named(
    uow: UnitOfWork, task: Task | None, destination: Destination
) -> tuple[Task | None, Task | None]:
    """The sibling and the parent the destination names, and the list it names checked: each the
    owner's, else not found. The parent and the list are held until the unit of work ends."""
    anchor = parent = None
    if isinstance(destination.after, UUID):
        if task is not None and destination.after == task.id:
            raise InvalidPlacement("after", "must be another task than the one moved")
        anchor = await _task(uow, destination.after)
    if isinstance(destination.parent_id, UUID):
        parent = await _task(uow, destination.parent_id, for_update=True)
    list_id = destination.list_id
    if isinstance(list_id, UUID) and await uow.lists.get(list_id, for_update=True) is None:
        raise ListNotFound(list_id)
    return anchor, parent


async def _task(uow: UnitOfWork, task_id: UUID, *, for_update: bool = False) -> Task:
    found = await uow.tasks.get(task_id, for_update=for_update)
    if found is None:
        raise TaskNotFound(task_id)
    return found


async def _check_nesting(uow: UnitOfWork, task: Task | None, parent: Task) -> None:
    """No cycle, and no deeper than MAX_DEPTH levels, the task's own subtasks counted. Checked
    holding the owner's trees, so two moves cannot each pass and together make a cycle."""
    await uow.hold("trees")
    above = await uow.tasks.ancestry(parent.id)
    if task is not None and (parent.id == task.id or task.id in above):
        raise InvalidPlacement("parent_id", "must not be the task itself or one of its subtasks")
    height = 1
    if task is not None:
        depth = {task.id: 1}
        for below in await uow.tasks.subtree(task.id):
            depth[below.id] = depth.get(below.parent_id, 1) + 1  # type: ignore[arg-type]
        height = max(depth.values())
    if len(above) + 1 + height > MAX_DEPTH:
        raise InvalidPlacement("parent_id", f"subtasks nest at most {MAX_DEPTH} levels deep")


async def _position(
    uow: UnitOfWork,
    task: Task,
    place: Place,
    after: UUID | Unset | None,
    anchor: Task | None,
    now: datetime,
) -> str:
    """The task's position in `place`: last (after UNSET), first (None), or just after `anchor`;
    where it is already when it is there."""
    tasks = uow.tasks
    if anchor is not None:
        start: Sibling | None = Sibling.of(anchor)
        rows = await tasks.siblings(place, after=start, limit=2)
    else:
        start = None
        rows = await tasks.siblings(place, limit=2, last=isinstance(after, Unset))
    if rows and rows[0].id == task.id:
        return task.position  # already there
    others = [row for row in rows if row.id != task.id]
    neighbour = others[0].position if others else None
    before: str | None
    beyond: str | None
    if anchor is not None:
        before, beyond = anchor.position, neighbour
    elif isinstance(after, Unset):
        before, beyond = neighbour, None
    else:
        before, beyond = None, neighbour
    position = fitting_between(before, beyond)
    if position is not None:
        return position
    return await _rebalanced(uow, task, place, start, after, now)


async def _rebalanced(
    uow: UnitOfWork,
    task: Task,
    place: Place,
    anchor: Sibling | None,
    after: UUID | Unset | None,
    now: datetime,
) -> str:
    """Fresh positions for the whole group, the task at the place asked; the siblings are stored,
    the task's own position returned."""
    order = [row.id for row in await uow.tasks.siblings(place) if row.id != task.id]
    if isinstance(after, Unset):
        index = len(order)
    elif anchor is None:
        index = 0
    elif anchor.id in order:
        index = order.index(anchor.id) + 1
    else:  # it left the group since it was read: the whole move runs again
        raise TransientConflict(f"task {anchor.id} moved during a move after it")
    order.insert(index, task.id)
    fresh = dict(zip(order, fresh_positions(len(order)), strict=True))
    siblings = await uow.tasks.get_many([sibling for sibling in order if sibling != task.id], for_update=True)
    for sibling in siblings.values():
        if Place.of(sibling) != place:
            raise TransientConflict(f"task {sibling.id} moved during a rebalance")
        loaded = sibling.version
        if sibling.apply_position(fresh[sibling.id], now) and not await uow.tasks.update(
            sibling, expected_version=loaded
        ):
            raise TransientConflict(f"task {sibling.id} changed during a rebalance")
    return fresh[task.id]
