"""Changing a task: one version per effective change, all or nothing, completion times kept."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest

from domain.errors import InvalidTask
from domain.task import Priority, Recurrence, Task, TaskChanges, TaskDraft

CREATED = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
LATER = CREATED + timedelta(hours=1)
LATER_STILL = CREATED + timedelta(hours=2)


@pytest.fixture
def task() -> Task:
    draft = TaskDraft(
        title="Buy milk",
        description="Semi-skimmed",
        tags=("home",),
        due_at=datetime(2025, 1, 7, 18, 0, tzinfo=UTC),
    )
    return Task.create(id=UUID(int=1), owner_id="alice", draft=draft, now=CREATED)


def test_a_change_bumps_the_version_by_exactly_one_however_many_fields_it_touches(task: Task) -> None:
    changed = task.apply(
        TaskChanges(title="Buy oat milk", priority=Priority.HIGH, recurrence=Recurrence.WEEKLY), LATER
    )

    assert changed is True
    assert task.version == 2
    assert (task.title, task.priority, task.recurrence) == ("Buy oat milk", Priority.HIGH, Recurrence.WEEKLY)


def test_every_effective_change_bumps_the_version(task: Task) -> None:
    task.apply(TaskChanges(title="Buy oat milk"), LATER)

    task.apply(TaskChanges(priority=Priority.LOW), LATER_STILL)

    assert task.version == 3


def test_a_change_moves_updated_at_but_not_created_at(task: Task) -> None:
    task.apply(TaskChanges(title="Buy oat milk"), LATER)

    assert task.updated_at == LATER
    assert task.created_at == CREATED


def test_a_change_to_the_values_already_held_changes_nothing(task: Task) -> None:
    before = copy.copy(task)
    same_instant_elsewhere = datetime(2025, 1, 7, 20, 0, tzinfo=timezone(timedelta(hours=2)))

    changed = task.apply(
        TaskChanges(title="  Buy milk ", tags=("HOME",), due_at=same_instant_elsewhere, completed=False),
        LATER,
    )

    assert changed is False
    assert task == before


def test_an_empty_change_changes_nothing(task: Task) -> None:
    before = copy.copy(task)

    changed = task.apply(TaskChanges(), LATER)

    assert changed is False
    assert task == before


def test_unset_fields_are_left_alone_and_none_clears(task: Task) -> None:
    task.apply(TaskChanges(description=None), LATER)

    assert task.description is None
    assert task.tags == ("home",)
    assert task.due_at == datetime(2025, 1, 7, 18, 0, tzinfo=UTC)


def test_a_change_is_normalised_like_a_new_task(task: Task) -> None:
    task.apply(TaskChanges(title=" Buy bread ", tags=(" Shop", "shop ", "FOOD")), LATER)

    assert task.title == "Buy bread"
    assert task.tags == ("shop", "food")


@pytest.mark.parametrize(
    "changes",
    [
        TaskChanges(title="Buy oat milk", tags=("x" * 51,)),
        TaskChanges(priority=Priority.HIGH, title="   "),
        TaskChanges(description="d" * 2001, completed=True),
        TaskChanges(tags=("new",), due_at=datetime(2025, 2, 1, 12, 0)),
    ],
    ids=["bad-tag", "blank-title", "long-description", "naive-due-at"],
)
def test_a_change_with_one_invalid_field_leaves_the_task_untouched(task: Task, changes: TaskChanges) -> None:
    before = copy.copy(task)

    with pytest.raises(InvalidTask):
        task.apply(changes, LATER)

    assert task == before


def test_completing_a_task_records_when(task: Task) -> None:
    task.apply(TaskChanges(completed=True), LATER)

    assert task.completed is True
    assert task.completed_at == LATER


def test_reopening_a_task_clears_when_it_was_completed(task: Task) -> None:
    task.apply(TaskChanges(completed=True), LATER)

    task.apply(TaskChanges(completed=False), LATER_STILL)

    assert task.completed is False
    assert task.completed_at is None
    assert task.version == 3


def test_a_change_that_leaves_completed_alone_keeps_completed_at(task: Task) -> None:
    task.apply(TaskChanges(completed=True), LATER)

    task.apply(TaskChanges(title="Buy oat milk"), LATER_STILL)

    assert task.completed_at == LATER


def test_toggle_completes_an_open_task(task: Task) -> None:
    task.toggle(LATER)

    assert task.completed is True
    assert task.completed_at == LATER
    assert task.version == 2
    assert task.updated_at == LATER


def test_toggle_reopens_a_completed_task(task: Task) -> None:
    task.toggle(LATER)

    task.toggle(LATER_STILL)

    assert task.completed is False
    assert task.completed_at is None
    assert task.version == 3
    assert task.updated_at == LATER_STILL
