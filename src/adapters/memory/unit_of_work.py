"""An in-memory store with transactional units of work over it."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime
from uuid import UUID

from adapters.memory.idempotency import IdempotencyLedger, InMemoryIdempotencyKeys
from application.ports import ChangeLog, ListRepository, TaskRepository, UnitOfWork
from application.queries import PagePosition, Place, Sibling, Sort, TaskFilter
from application.summaries import ListSummary, TagCount, TaskStats
from application.sync import Change, Kind
from domain.task import UNSET, Task, Unset
from domain.task_list import TaskList


class InMemoryStore:
    """Committed tasks by id, shared by every unit of work made over it."""

    def __init__(self) -> None:
        self.tasks: dict[UUID, Task] = {}
        self.lists: dict[UUID, TaskList] = {}
        self.idempotency = IdempotencyLedger()
        self.changes: dict[str, list[Change]] = {}  # each owner's log, as the database's triggers write it

    def log(self, owner_id: str, kind: Kind, item_id: UUID, deleted: bool) -> None:
        log = self.changes.setdefault(owner_id, [])
        log.append(Change(len(log) + 1, kind, item_id, deleted))


class InMemoryTaskRepository(TaskRepository):
    """Reads the committed store through this transaction's staged writes.

    Tasks are copied in and out, so changing a loaded task changes nothing until it is
    stored and the unit of work commits.
    """

    def __init__(self, owner_id: str, store: InMemoryStore) -> None:
        super().__init__(owner_id)
        self._store = store
        self.staged: dict[UUID, Task | None] = {}

    async def _add(self, task: Task) -> None:
        self.staged[task.id] = copy.copy(task)

    async def _get(self, owner_id: str, task_id: UUID, for_update: bool) -> Task | None:
        task = self._visible().get(task_id)
        return copy.copy(task) if task is not None and task.owner_id == owner_id else None

    async def _count(self, owner_id: str, task_filter: TaskFilter) -> int:
        visible = self._visible().values()
        return sum(1 for task in visible if task.owner_id == owner_id and _selects(task_filter, task))

    async def _find(self, owner_id: str, task_filter: TaskFilter) -> list[Task]:
        mine = [
            task
            for task in self._visible().values()
            if task.owner_id == owner_id and _selects(task_filter, task)
        ]
        ordered = _in_order(mine, task_filter.sort)
        if task_filter.after is not None:
            ordered = [task for task in ordered if _is_after(task, task_filter.after, task_filter.sort)]
        skipped = task_filter.offset
        return [copy.copy(task) for task in ordered[skipped : skipped + task_filter.limit]]

    async def _update(self, owner_id: str, task: Task, expected_version: int) -> bool:
        current = self._visible().get(task.id)
        if current is None or current.owner_id != owner_id or current.version != expected_version:
            return False
        self.staged[task.id] = copy.copy(task)
        return True

    async def _delete(self, owner_id: str, task_id: UUID, expected_version: int | None) -> bool:
        current = self._visible().get(task_id)
        if current is None or current.owner_id != owner_id:
            return False
        if expected_version is not None and current.version != expected_version:
            return False
        self._delete_with_subtrees({task_id})
        return True

    async def _get_many(self, owner_id: str, task_ids: frozenset[UUID], for_update: bool) -> dict[UUID, Task]:
        return {task.id: copy.copy(task) for task in self._owned(owner_id) if task.id in task_ids}

    async def _delete_many(self, owner_id: str, task_ids: frozenset[UUID]) -> set[UUID]:
        deleted = {task.id for task in self._owned(owner_id) if task.id in task_ids}
        self._delete_with_subtrees(deleted)
        return deleted

    async def _stats(self, owner_id: str, now: datetime, list_id: UUID | Unset | None) -> TaskStats:
        mine = [task for task in self._owned(owner_id) if list_id is UNSET or task.list_id == list_id]
        completed = sum(task.completed for task in mine)
        overdue = sum(not task.completed and task.due_at is not None and task.due_at < now for task in mine)
        return TaskStats(total=len(mine), completed=completed, pending=len(mine) - completed, overdue=overdue)

    async def _tag_counts(self, owner_id: str) -> list[TagCount]:
        counts = Counter(tag for task in self._owned(owner_id) for tag in task.tags)
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [TagCount(name=name, count=count) for name, count in ordered]

    async def _siblings(
        self, owner_id: str, place: Place, after: Sibling | None, limit: int | None, last: bool
    ) -> list[Sibling]:
        group = sorted(Sibling.of(task) for task in self._owned(owner_id) if Place.of(task) == place)
        if last:
            group.reverse()
        if after is not None:
            group = [sibling for sibling in group if (sibling < after if last else sibling > after)]
        return group if limit is None else group[:limit]

    async def _ancestry(self, owner_id: str, task_id: UUID) -> list[UUID]:
        visible = self._visible()
        task, chain = visible.get(task_id), []
        while task is not None and task.owner_id == owner_id and task.parent_id is not None:
            chain.append(task.parent_id)
            task = visible.get(task.parent_id)
        return chain

    async def _subtree(self, owner_id: str, task_id: UUID) -> list[Task]:
        return [copy.copy(task) for task in self._below(owner_id, task_id)]

    async def _complete_subtree(self, owner_id: str, task_id: UUID, now: datetime) -> int:
        return self._change_below(owner_id, task_id, now, completed=True, completed_at=now)

    async def _move_subtree(self, owner_id: str, task_id: UUID, list_id: UUID | None, now: datetime) -> int:
        return self._change_below(owner_id, task_id, now, list_id=list_id)

    def _change_below(self, owner_id: str, task_id: UUID, now: datetime, **values: object) -> int:
        """Set `values` on each task under this one that lacks them (the first is the one compared)."""
        first, wanted = next(iter(values.items()))
        changed = 0
        for below in self._below(owner_id, task_id):
            if getattr(below, first) != wanted:
                task = copy.copy(below)
                for name, value in values.items():
                    setattr(task, name, value)
                task.updated_at, task.version = now, task.version + 1
                self.staged[task.id] = task
                changed += 1
        return changed

    def _below(self, owner_id: str, task_id: UUID) -> list[Task]:
        """The tasks under this one, parents before children, each level in manual order."""
        mine = self._owned(owner_id)
        found, level = [], [task_id]
        while level:
            below = sorted((t for t in mine if t.parent_id in level), key=lambda t: (t.position, t.id))
            found.extend(below)
            level = [t.id for t in below]
        return found

    def _delete_with_subtrees(self, task_ids: set[UUID]) -> None:
        """As the database's cascade does: the tasks, and every task under them."""
        for task_id in list(task_ids):
            current = self._visible().get(task_id)
            if current is not None:
                for task in self._below(current.owner_id, task_id):
                    self.staged[task.id] = None
                self.staged[task_id] = None

    def _owned(self, owner_id: str) -> list[Task]:
        return [task for task in self._visible().values() if task.owner_id == owner_id]

    def _visible(self) -> dict[UUID, Task]:
        visible = dict(self._store.tasks)
        for task_id, task in self.staged.items():
            if task is None:
                visible.pop(task_id, None)
            else:
                visible[task_id] = task
        return visible


class InMemoryListRepository(ListRepository):
    """As the tasks repository: the committed lists through this transaction's staged writes.
    Deleting a list stages the deletion of its tasks in the tasks repository (the cascade)."""

    def __init__(self, owner_id: str, store: InMemoryStore, tasks: InMemoryTaskRepository) -> None:
        super().__init__(owner_id)
        self._store = store
        self._tasks = tasks
        self.staged: dict[UUID, TaskList | None] = {}

    async def _add(self, task_list: TaskList) -> None:
        self.staged[task_list.id] = copy.copy(task_list)

    async def _get(self, owner_id: str, list_id: UUID, for_update: bool) -> TaskList | None:
        found = self._visible().get(list_id)
        return copy.copy(found) if found is not None and found.owner_id == owner_id else None

    async def _summary(self, owner_id: str, list_id: UUID) -> ListSummary | None:
        found = await self._get(owner_id, list_id, False)
        return None if found is None else self._counted(found)

    async def _summaries(self, owner_id: str, archived: bool) -> list[ListSummary]:
        mine = [found for found in self._mine(owner_id) if found.archived == archived]
        mine.sort(key=lambda found: (found.position, found.id))
        return [self._counted(copy.copy(found)) for found in mine]

    async def _siblings(self, owner_id: str) -> list[Sibling]:
        return sorted(Sibling(found.position, found.id) for found in self._mine(owner_id))

    async def _count(self, owner_id: str) -> int:
        return len(self._mine(owner_id))

    async def _update(self, owner_id: str, task_list: TaskList, expected_version: int) -> bool:
        current = self._visible().get(task_list.id)
        if current is None or current.owner_id != owner_id or current.version != expected_version:
            return False
        self.staged[task_list.id] = copy.copy(task_list)
        return True

    async def _delete(self, owner_id: str, list_id: UUID, expected_version: int | None) -> bool:
        current = self._visible().get(list_id)
        if current is None or current.owner_id != owner_id:
            return False
        if expected_version is not None and current.version != expected_version:
            return False
        self.staged[list_id] = None
        self._tasks.staged.update(
            dict.fromkeys(task.id for task in self._tasks._owned(owner_id) if task.list_id == list_id)
        )
        return True

    def _counted(self, found: TaskList) -> ListSummary:
        tasks = self._tasks._owned(found.owner_id)
        open_tasks = sum(task.list_id == found.id and not task.completed for task in tasks)
        return ListSummary(list=found, open_tasks=open_tasks)

    def _mine(self, owner_id: str) -> list[TaskList]:
        return [found for found in self._visible().values() if found.owner_id == owner_id]

    def _visible(self) -> dict[UUID, TaskList]:
        visible = dict(self._store.lists)
        for list_id, found in self.staged.items():
            if found is None:
                visible.pop(list_id, None)
            else:
                visible[list_id] = found
        return visible


class InMemoryChangeLog(ChangeLog):
    def __init__(self, owner_id: str, store: InMemoryStore) -> None:
        super().__init__(owner_id)
        self._store = store

    async def _since(self, owner_id: str, position: int, limit: int) -> list[Change]:
        log = self._store.changes.get(owner_id, [])
        return log[position : position + limit]  # positions count from 1, with no gaps

    async def _head(self, owner_id: str) -> int:
        return len(self._store.changes.get(owner_id, []))

    async def _listen(self, owner_id: str, until: datetime) -> None:
        """Nothing: there is no other process to tell."""


class InMemoryUnitOfWork(UnitOfWork):
    def __init__(self, owner_id: str, store: InMemoryStore) -> None:
        self.owner_id = owner_id
        self._store = store
        self.tasks = self._repository = InMemoryTaskRepository(owner_id, store)
        self.lists = self._lists = InMemoryListRepository(owner_id, store, self._repository)
        self.idempotency_keys = self._keys = InMemoryIdempotencyKeys(owner_id, store.idempotency)
        self.changes = InMemoryChangeLog(owner_id, store)
        self.committed = False

    async def commit(self) -> None:
        """Every staged change goes in at once, and into the owner's log: an entry for each row
        staged, as it last was (the database's triggers log every write; a feed page folds them)."""
        for list_id, found in self._lists.staged.items():
            if found is None:
                self._store.lists.pop(list_id, None)
            else:
                self._store.lists[list_id] = found
            self._store.log(self.owner_id, "list", list_id, found is None)
        self._lists.staged.clear()
        for task_id, task in self._repository.staged.items():
            if task is None:
                self._store.tasks.pop(task_id, None)
            else:
                self._store.tasks[task_id] = task
            self._store.log(self.owner_id, "task", task_id, task is None)
        self._repository.staged.clear()
        self._keys.commit()
        self.committed = True

    async def hold(self, topic: str) -> None:
        """Nothing: the store changes only at commit, all at once, with no await in between."""

    async def rollback(self) -> None:
        self._repository.staged.clear()
        self._lists.staged.clear()
        self._keys.rollback()


def _selects(wanted: TaskFilter, task: Task) -> bool:
    """Every condition of the filter, as the SQL adapter states it in WHERE."""
    due, now = task.due_at, wanted.now
    is_overdue = due is not None and now is not None and due < now and not task.completed
    return (
        (wanted.completed is None or task.completed == wanted.completed)
        and (wanted.priority is None or task.priority == wanted.priority)
        and all(tag in task.tags for tag in wanted.tags)
        and (wanted.text is None or wanted.text in task.search_text)
        and (wanted.due_before is None or (due is not None and due < wanted.due_before))
        and (wanted.due_after is None or (due is not None and due > wanted.due_after))
        and (wanted.overdue is None or is_overdue == wanted.overdue)
        and (wanted.list_id is UNSET or task.list_id == wanted.list_id)
        and (wanted.parent_id is UNSET or task.parent_id == wanted.parent_id)
    )


def _in_order(tasks: list[Task], sort: Sort) -> list[Task]:
    """Sorted on the field, ties by id, in the sort's direction; tasks without the value last."""
    present = [task for task in tasks if sort.value_of(task) is not None]
    missing = [task for task in tasks if sort.value_of(task) is None]
    present.sort(key=lambda task: (sort.value_of(task), task.id), reverse=sort.descending)
    missing.sort(key=lambda task: task.id, reverse=sort.descending)
    return present + missing


def _is_after(task: Task, position: PagePosition, sort: Sort) -> bool:
    value = sort.value_of(task)
    if position.value is None:  # the page ended among the tasks without a value
        return value is None and (task.id < position.id if sort.descending else task.id > position.id)
    if value is None:
        return True
    here, there = (value, task.id), (position.value, position.id)
    return here < there if sort.descending else here > there
