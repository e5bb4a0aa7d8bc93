"""One action on many tasks: all or nothing, and run again whole when it lost a race."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from application.ports import UnitOfWork
from application.tasks import ActOnTasks, BulkAction, CreateTask
from application.tasks.bulk import MAX_BULK_IDS
from domain.errors import InvalidSelection, TasksNotFound
from domain.task import TaskChanges, TaskDraft
from tests.unit.fakes import START, FakeClock, SequentialIds

OWNER = "alice"


class RivalWriteClock(FakeClock):
    """The first reading of the time is the moment another writer renames the task and commits."""

    def __init__(self, store: InMemoryStore, task_id: UUID) -> None:
        super().__init__(START + timedelta(minutes=5))
        self._store, self._task_id = store, task_id
        self.rival_wrote = False

    def now(self) -> datetime:
        if not self.rival_wrote:
            self.rival_wrote = True
            rival = copy.copy(self._store.tasks[self._task_id])
            rival.apply(TaskChanges(title="Renamed elsewhere"), super().now())
            self._store.tasks[self._task_id] = rival
        return super().now()


class RecordingUnitsOfWork:
    """A unit-of-work factory over the store that keeps every unit it opened."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.opened: list[InMemoryUnitOfWork] = []

    def __call__(self, owner_id: str) -> UnitOfWork:
        self.opened.append(InMemoryUnitOfWork(owner_id, self._store))
        return self.opened[-1]


async def test_a_bulk_change_that_lost_a_race_is_run_again_on_the_newer_tasks(
    store: InMemoryStore, create: CreateTask, ids: SequentialIds
) -> None:
    task = await create(OWNER, TaskDraft(title="Write the report"))
    clock = RivalWriteClock(store, task.id)
    units = RecordingUnitsOfWork(store)

    affected = await ActOnTasks(units, clock, ids)(OWNER, BulkAction.COMPLETE, [task.id])

    assert affected == 1
    assert [unit.committed for unit in units.opened] == [False, True]
    stored = store.tasks[task.id]
    assert (stored.title, stored.completed, stored.version) == ("Renamed elsewhere", True, 3)


@pytest.mark.parametrize("action", list(BulkAction))
async def test_a_bulk_change_naming_a_missing_task_commits_nothing(
    store: InMemoryStore, create: CreateTask, clock: FakeClock, ids: SequentialIds, action: BulkAction
) -> None:
    tasks = [await create(OWNER, TaskDraft(title=f"task {n}")) for n in range(3)]
    before = copy.deepcopy(store.tasks)
    missing = uuid.uuid4()
    units = RecordingUnitsOfWork(store)

    to_the_inbox = {"list_id": None} if action is BulkAction.MOVE else {}
    with pytest.raises(TasksNotFound) as raised:
        await ActOnTasks(units, clock, ids)(
            OWNER, action, [tasks[0].id, missing, tasks[1].id], **to_the_inbox
        )

    assert raised.value.task_ids == (missing,)
    assert [unit.committed for unit in units.opened] == [False]
    assert store.tasks == before


async def test_more_ids_than_the_limit_are_refused_before_any_work(
    store: InMemoryStore, clock: FakeClock, ids: SequentialIds
) -> None:
    units = RecordingUnitsOfWork(store)
    too_many = [uuid.uuid4() for _ in range(MAX_BULK_IDS + 1)]

    with pytest.raises(InvalidSelection, match="at most"):
        await ActOnTasks(units, clock, ids)(OWNER, BulkAction.DELETE, too_many)

    assert units.opened == []
