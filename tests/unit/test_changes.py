"""Changing a stored task: partially, whole, or by toggling, guarded by If-Match and by version."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.memory import InMemoryStore
from application.errors import TransientConflict
from application.ports import UnitOfWorkFactory
from application.retry import TRANSIENT_ATTEMPTS
from application.tasks import CreateTask, GetTask, ReplaceTask, ToggleTask, UpdateTask
from domain.errors import InvalidTask, TaskNotFound, VersionMismatch
from domain.task import Priority, Recurrence, Task, TaskChanges, TaskDraft
from tests.unit.fakes import START, FakeClock, SequentialIds

DUE = datetime(2025, 1, 10, 18, 0, tzinfo=UTC)


class RivalWriteClock(FakeClock):
    """Telling the time is the moment another writer commits its own change to the task.

    The rival writes on the first `rounds` readings of the clock, each time a new title.
    """

    def __init__(self, store: InMemoryStore, task_id: UUID, *, rounds: int = 1) -> None:
        super().__init__(START + timedelta(minutes=5))
        self._store = store
        self._task_id = task_id
        self._rounds = rounds
        self.writes = 0

    def now(self) -> datetime:
        if self.writes < self._rounds:
            self.writes += 1
            rival = copy.copy(self._store.tasks[self._task_id])
            rival.apply(TaskChanges(title=f"Changed elsewhere {self.writes}"), super().now())
            self._store.tasks[self._task_id] = rival
        return super().now()


@pytest.fixture
async def task(create: CreateTask, clock: FakeClock) -> Task:
    draft = TaskDraft(
        title="Buy milk",
        description="Semi-skimmed",
        priority=Priority.HIGH,
        tags=("home", "shop"),
        due_at=DUE,
        recurrence=Recurrence.WEEKLY,
    )
    created = await create("alice", draft)
    clock.advance(60)
    return created


async def test_an_update_changes_only_the_fields_it_names(
    update: UpdateTask, get: GetTask, task: Task
) -> None:
    updated = await update("alice", task.id, TaskChanges(title="Buy oat milk"))

    assert updated.title == "Buy oat milk"
    assert (updated.description, updated.priority, updated.tags) == ("Semi-skimmed", Priority.HIGH, task.tags)
    assert updated.version == 2
    assert await get("alice", task.id) == updated


async def test_an_update_moves_updated_at_to_now(update: UpdateTask, clock: FakeClock, task: Task) -> None:
    updated = await update("alice", task.id, TaskChanges(priority=Priority.LOW))

    assert updated.updated_at == clock.now()
    assert updated.created_at == task.created_at


async def test_an_update_to_the_same_values_keeps_the_version(
    update: UpdateTask, get: GetTask, task: Task
) -> None:
    updated = await update("alice", task.id, TaskChanges(title=" Buy milk ", tags=("HOME", "Shop")))

    assert updated.version == 1
    assert await get("alice", task.id) == task


async def test_an_update_with_a_matching_if_match_is_applied(update: UpdateTask, task: Task) -> None:
    updated = await update("alice", task.id, TaskChanges(title="Buy oat milk"), if_match={1})

    assert updated.version == 2


async def test_an_update_with_a_stale_if_match_is_refused_and_changes_nothing(
    update: UpdateTask, get: GetTask, task: Task
) -> None:
    with pytest.raises(VersionMismatch):
        await update("alice", task.id, TaskChanges(title="Buy oat milk"), if_match={7})

    assert await get("alice", task.id) == task


async def test_an_invalid_update_changes_nothing(update: UpdateTask, get: GetTask, task: Task) -> None:
    with pytest.raises(InvalidTask):
        await update("alice", task.id, TaskChanges(title="Buy oat milk", tags=("",)))

    assert await get("alice", task.id) == task


async def test_updating_another_owners_task_is_not_found(
    update: UpdateTask, get: GetTask, task: Task
) -> None:
    with pytest.raises(TaskNotFound):
        await update("bob", task.id, TaskChanges(title="Mine now"))

    assert await get("alice", task.id) == task


async def test_updating_an_unknown_task_is_not_found(update: UpdateTask) -> None:
    with pytest.raises(TaskNotFound):
        await update("alice", UUID(int=404), TaskChanges(title="Anything"))


async def test_a_write_without_if_match_that_lost_a_race_is_applied_again_on_the_winner(
    uow: UnitOfWorkFactory, store: InMemoryStore, get: GetTask, task: Task
) -> None:
    update = UpdateTask(uow, RivalWriteClock(store, task.id, rounds=1), SequentialIds())

    updated = await update("alice", task.id, TaskChanges(priority=Priority.LOW))

    assert (updated.title, updated.priority, updated.version) == ("Changed elsewhere 1", Priority.LOW, 3)
    assert await get("alice", task.id) == updated


async def test_a_write_that_loses_every_race_gives_up_as_a_transient_conflict_and_keeps_the_winners(
    uow: UnitOfWorkFactory, store: InMemoryStore, get: GetTask, task: Task
) -> None:
    rival = RivalWriteClock(store, task.id, rounds=TRANSIENT_ATTEMPTS)
    update = UpdateTask(uow, rival, SequentialIds())

    with pytest.raises(TransientConflict):
        await update("alice", task.id, TaskChanges(priority=Priority.LOW))

    stored = await get("alice", task.id)
    assert rival.writes == TRANSIENT_ATTEMPTS
    assert (stored.priority, stored.version) == (Priority.HIGH, 1 + TRANSIENT_ATTEMPTS)


async def test_a_write_that_lost_a_race_with_if_match_is_a_version_mismatch(
    uow: UnitOfWorkFactory, store: InMemoryStore, get: GetTask, task: Task
) -> None:
    update = UpdateTask(uow, RivalWriteClock(store, task.id), SequentialIds())

    with pytest.raises(VersionMismatch):
        await update("alice", task.id, TaskChanges(priority=Priority.LOW), if_match={1})

    assert (await get("alice", task.id)).priority is Priority.HIGH


async def test_a_replace_sets_every_field_the_draft_leaves_out_to_its_default(
    replace: ReplaceTask, get: GetTask, task: Task
) -> None:
    replaced = await replace("alice", task.id, TaskDraft(title="Call mum"))

    assert replaced.title == "Call mum"
    assert replaced.description is None
    assert replaced.priority is Priority.MEDIUM
    assert replaced.tags == ()
    assert replaced.due_at is None
    assert replaced.recurrence is None
    assert replaced.version == 2
    assert await get("alice", task.id) == replaced


async def test_a_replace_with_the_same_values_keeps_the_version(replace: ReplaceTask, task: Task) -> None:
    same = TaskDraft(
        title=task.title,
        description=task.description,
        priority=task.priority,
        tags=task.tags,
        due_at=task.due_at,
        recurrence=task.recurrence,
    )

    replaced = await replace("alice", task.id, same)

    assert replaced.version == 1


async def test_a_replace_with_a_stale_if_match_is_refused_and_changes_nothing(
    replace: ReplaceTask, get: GetTask, task: Task
) -> None:
    with pytest.raises(VersionMismatch):
        await replace("alice", task.id, TaskDraft(title="Call mum"), if_match={2})

    assert await get("alice", task.id) == task


async def test_replacing_another_owners_task_is_not_found(replace: ReplaceTask, task: Task) -> None:
    with pytest.raises(TaskNotFound):
        await replace("bob", task.id, TaskDraft(title="Mine now"))


async def test_a_toggle_completes_an_open_task_and_stores_it(
    toggle: ToggleTask, get: GetTask, clock: FakeClock, task: Task
) -> None:
    toggled = await toggle("alice", task.id)

    assert toggled.completed is True
    assert toggled.completed_at == clock.now()
    assert toggled.version == 2
    assert await get("alice", task.id) == toggled


async def test_a_second_toggle_reopens_the_task(toggle: ToggleTask, task: Task) -> None:
    await toggle("alice", task.id)

    reopened = await toggle("alice", task.id)

    assert reopened.completed is False
    assert reopened.completed_at is None
    assert reopened.version == 3


async def test_a_toggle_with_a_stale_if_match_is_refused_and_changes_nothing(
    toggle: ToggleTask, get: GetTask, task: Task
) -> None:
    with pytest.raises(VersionMismatch):
        await toggle("alice", task.id, if_match={3})

    assert (await get("alice", task.id)).completed is False


async def test_toggling_another_owners_task_is_not_found(
    toggle: ToggleTask, get: GetTask, task: Task
) -> None:
    with pytest.raises(TaskNotFound):
        await toggle("bob", task.id)

    assert (await get("alice", task.id)).completed is False
