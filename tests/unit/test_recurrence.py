"""The recurrence rule: completing a recurring task yields its next occurrence, once."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore
from application.ports import UnitOfWorkFactory
from application.tasks import ActOnTasks, BulkAction, CreateTask, ReplaceTask, ToggleTask, UpdateTask
from domain.task import Priority, Recurrence, Task, TaskChanges, TaskDraft, advance
from tests.unit.fakes import FakeClock, SequentialIds

DONE_AT = datetime(2030, 3, 3, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "recurrence", "next_due"),
    [
        ("2030-01-05T10:00", Recurrence.DAILY, "2030-01-06T10:00"),
        ("2030-12-31T23:00", Recurrence.DAILY, "2031-01-01T23:00"),
        ("2030-01-05T10:00", Recurrence.WEEKLY, "2030-01-12T10:00"),
        ("2030-01-15T10:00", Recurrence.MONTHLY, "2030-02-15T10:00"),
        ("2030-01-31T09:00", Recurrence.MONTHLY, "2030-02-28T09:00"),
        ("2028-01-31T09:00", Recurrence.MONTHLY, "2028-02-29T09:00"),
        ("2030-03-31T09:00", Recurrence.MONTHLY, "2030-04-30T09:00"),
        ("2030-12-31T09:00", Recurrence.MONTHLY, "2031-01-31T09:00"),
    ],
)
def test_an_interval_is_a_day_a_week_or_a_calendar_month_clamped_to_its_last_day(
    due: str, recurrence: Recurrence, next_due: str
) -> None:
    moment = datetime.fromisoformat(due).replace(tzinfo=UTC)

    assert advance(moment, recurrence) == datetime.fromisoformat(next_due).replace(tzinfo=UTC)


def _completed(**draft: object) -> Task:
    task = Task.create(id=uuid.uuid4(), owner_id="ada", draft=TaskDraft(title="Water", **draft), now=DONE_AT)  # type: ignore[arg-type]
    task.apply(TaskChanges(completed=True), DONE_AT)
    return task


def test_the_next_occurrence_repeats_the_task_due_one_interval_later_and_open() -> None:
    task = _completed(
        description="all of them",
        priority=Priority.HIGH,
        tags=("home",),
        recurrence=Recurrence.WEEKLY,
        due_at=datetime(2030, 3, 1, 8, tzinfo=UTC),
    )
    successor_id = uuid.uuid4()

    successor = task.bring_next_occurrence(id=successor_id, now=DONE_AT)

    assert successor is not None
    assert (successor.id, successor.owner_id, successor.completed, successor.version) == (
        successor_id,
        "ada",
        False,
        1,
    )
    assert (successor.title, successor.description, successor.priority, successor.tags) == (
        "Water",
        "all of them",
        Priority.HIGH,
        ("home",),
    )
    assert (successor.recurrence, successor.due_at) == (
        Recurrence.WEEKLY,
        datetime(2030, 3, 8, 8, tzinfo=UTC),
    )


def test_a_recurring_task_without_a_due_time_counts_from_its_completion() -> None:
    task = _completed(recurrence=Recurrence.DAILY)

    successor = task.bring_next_occurrence(id=uuid.uuid4(), now=DONE_AT)

    assert successor is not None
    assert successor.due_at == datetime(2030, 3, 4, 18, 30, tzinfo=UTC)


def test_an_open_or_non_recurring_task_has_no_next_occurrence() -> None:
    open_task = Task.create(
        id=uuid.uuid4(), owner_id="ada", draft=TaskDraft(title="x", recurrence=Recurrence.DAILY), now=DONE_AT
    )

    assert open_task.bring_next_occurrence(id=uuid.uuid4(), now=DONE_AT) is None
    assert _completed().bring_next_occurrence(id=uuid.uuid4(), now=DONE_AT) is None


def test_a_task_brings_its_next_occurrence_once_and_remembers_it_without_a_new_version() -> None:
    task = _completed(recurrence=Recurrence.DAILY, due_at=datetime(2030, 3, 1, 8, tzinfo=UTC))
    version = task.version

    successor = task.bring_next_occurrence(id=uuid.uuid4(), now=DONE_AT)
    version_after_bringing = task.version
    task.apply(TaskChanges(completed=False), DONE_AT)
    task.apply(TaskChanges(completed=True), DONE_AT)

    assert successor is not None
    assert (task.successor_id, version_after_bringing) == (successor.id, version)
    assert task.bring_next_occurrence(id=uuid.uuid4(), now=DONE_AT) is None
    assert (task.successor_id, successor.successor_id) == (successor.id, None)


def test_a_task_that_brings_no_next_occurrence_records_no_successor() -> None:
    last = _completed(recurrence=Recurrence.DAILY, due_at=datetime(9999, 12, 31, 10, tzinfo=UTC))
    once = _completed()

    assert last.bring_next_occurrence(id=uuid.uuid4(), now=DONE_AT) is None
    assert once.bring_next_occurrence(id=uuid.uuid4(), now=DONE_AT) is None
    assert (last.successor_id, once.successor_id) == (None, None)


# --- Through the use cases: whichever way a task is completed, it brings one next occurrence ---

OWNER = "ada"
RECURRING = TaskDraft(title="Water", recurrence=Recurrence.WEEKLY, due_at=datetime(2030, 3, 1, 8, tzinfo=UTC))
SetCompleted = Callable[[UUID, bool], Awaitable[object]]


@pytest.fixture
def bulk(uow: UnitOfWorkFactory, clock: FakeClock, ids: SequentialIds) -> ActOnTasks:
    return ActOnTasks(uow, clock, ids)


@pytest.fixture
def ways(
    update: UpdateTask, replace: ReplaceTask, toggle: ToggleTask, bulk: ActOnTasks
) -> dict[str, SetCompleted]:
    """Each use case that completes a task (with `True`) or reopens it (with `False`)."""

    async def by_toggle(task_id: UUID, completed: bool) -> object:
        toggled = await toggle(OWNER, task_id)
        assert toggled.completed is completed
        return toggled

    return {
        "update": lambda task_id, completed: update(OWNER, task_id, TaskChanges(completed=completed)),
        "replace": lambda task_id, completed: replace(
            OWNER, task_id, dataclasses.replace(RECURRING, completed=completed)
        ),
        "toggle": by_toggle,
        "bulk": lambda task_id, completed: bulk(
            OWNER, BulkAction.COMPLETE if completed else BulkAction.REOPEN, [task_id]
        ),
    }


def _successors(store: InMemoryStore, task: Task) -> list[Task]:
    return [other for other in store.tasks.values() if other.id != task.id]


@pytest.mark.parametrize("way", ["update", "replace", "toggle", "bulk"])
async def test_completing_a_reopened_task_again_brings_no_second_next_occurrence(
    store: InMemoryStore, create: CreateTask, ways: dict[str, SetCompleted], way: str
) -> None:
    task = await create(OWNER, RECURRING)

    for completed in (True, False, True, False, True):
        await ways[way](task.id, completed)

    successors = _successors(store, task)
    assert [(other.due_at, other.completed) for other in successors] == [
        (datetime(2030, 3, 8, 8, tzinfo=UTC), False)
    ]
    assert (store.tasks[task.id].completed, store.tasks[task.id].successor_id) == (True, successors[0].id)


async def test_completing_a_task_again_by_another_way_brings_no_second_next_occurrence(
    store: InMemoryStore, create: CreateTask, ways: dict[str, SetCompleted]
) -> None:
    task = await create(OWNER, RECURRING)

    for way in ("toggle", "update", "replace", "bulk"):
        await ways[way](task.id, True)
        await ways["bulk" if way == "toggle" else "toggle"](task.id, False)

    assert len(_successors(store, task)) == 1
