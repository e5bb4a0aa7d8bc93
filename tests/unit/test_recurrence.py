"""The recurrence rule: completing a recurring task yields its next occurrence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.task import Priority, Recurrence, Task, TaskChanges, TaskDraft, advance

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

    successor = task.next_occurrence(id=successor_id, now=DONE_AT)

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

    successor = task.next_occurrence(id=uuid.uuid4(), now=DONE_AT)

    assert successor is not None
    assert successor.due_at == datetime(2030, 3, 4, 18, 30, tzinfo=UTC)


def test_an_open_or_non_recurring_task_has_no_next_occurrence() -> None:
    open_task = Task.create(
        id=uuid.uuid4(), owner_id="ada", draft=TaskDraft(title="x", recurrence=Recurrence.DAILY), now=DONE_AT
    )

    assert open_task.next_occurrence(id=uuid.uuid4(), now=DONE_AT) is None
    assert _completed().next_occurrence(id=uuid.uuid4(), now=DONE_AT) is None
