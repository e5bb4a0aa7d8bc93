"""Where tasks go, as the use cases decide it over the in-memory adapter: the cases a client's
mistakes or habits reach (the contract suite runs the rest on every adapter)."""

from __future__ import annotations

from datetime import timedelta

from adapters.memory import InMemoryStore
from application.lists import CreateList
from application.queries import Sort
from application.tasks import (
    ActOnTasks,
    BulkAction,
    CreateTask,
    CreateTaskOnce,
    GetTask,
    ListTasks,
    MoveTask,
    ToggleTask,
    UpdateTask,
)
from application.tasks.placing import Destination
from domain.task import Recurrence, TaskChanges, TaskDraft
from entrypoints.container import Container
from tests.unit.conftest import _made
from tests.unit.fakes import FakeClock

OWNER = "alice"


async def test_bulk_completing_a_task_and_its_subtask_named_after_it_completes_both(
    container: Container, create: CreateTask, get: GetTask
) -> None:
    parent = await create(OWNER, TaskDraft(title="Pack"))
    child = await create(OWNER, TaskDraft(title="Socks"), Destination(parent_id=parent.id))
    grandchild = await create(OWNER, TaskDraft(title="Wool ones"), Destination(parent_id=child.id))
    act = _made(ActOnTasks, container.use_cases.act_on_tasks)

    affected = await act(OWNER, BulkAction.COMPLETE, [parent.id, grandchild.id, child.id])

    assert affected == 3
    assert [(await get(OWNER, task.id)).completed for task in (parent, child, grandchild)] == [True] * 3


async def test_a_patch_naming_the_tasks_own_list_and_parent_leaves_it_where_it_is(
    container: Container, create: CreateTask, update: UpdateTask, clock: FakeClock
) -> None:
    work = await _made(CreateList, container.use_cases.create_list)(OWNER, "Work")
    first = await create(OWNER, TaskDraft(title="first"), Destination(list_id=work.list.id))
    clock.advance()
    await create(OWNER, TaskDraft(title="second"), Destination(list_id=work.list.id))

    edited = await update(
        OWNER,
        first.id,
        TaskChanges(title="first, edited"),
        destination=Destination(list_id=work.list.id, parent_id=None, stay_if_there=True),
    )

    assert (edited.position, edited.version) == (first.position, 2)


async def test_a_retried_idempotent_creation_answers_the_task_in_the_place_it_was_made(
    container: Container, create: CreateTask, clock: FakeClock
) -> None:
    parent = await create(OWNER, TaskDraft(title="Trip"))
    create_once = _made(CreateTaskOnce, container.use_cases.create_task_once)
    under_parent = Destination(parent_id=parent.id)

    made = await create_once(OWNER, TaskDraft(title="Tickets"), "key-1", under_parent)
    clock.advance(timedelta(minutes=1).total_seconds())
    again = await create_once(OWNER, TaskDraft(title="Tickets"), "key-1", under_parent)

    assert made.parent_id == parent.id
    assert (again.id, again.parent_id, again.position) == (made.id, parent.id, made.position)


async def test_a_recurring_subtask_completed_before_its_recurring_parent_comes_back_once(
    container: Container, create: CreateTask, toggle: ToggleTask, list_tasks: ListTasks
) -> None:
    parent = await create(OWNER, TaskDraft(title="Weekly review", recurrence=Recurrence.WEEKLY))
    await create(
        OWNER, TaskDraft(title="Inbox zero", recurrence=Recurrence.DAILY), Destination(parent_id=parent.id)
    )
    subtask = (await list_tasks(OWNER, parent_id=parent.id)).items[0]

    await toggle(OWNER, subtask.id)  # brings the subtask's next occurrence, under the parent
    await toggle(OWNER, parent.id)  # brings the parent's, with its subtasks again

    everything = (await list_tasks(OWNER, limit=100)).items
    next_parent = next(task for task in everything if task.title == "Weekly review" and not task.completed)
    under_it = [task for task in everything if task.parent_id == next_parent.id]
    assert [(task.title, task.completed) for task in under_it] == [("Inbox zero", False)]


async def test_a_move_whose_rebalance_gives_the_task_back_its_own_key_still_reorders_the_group(
    container: Container, store: InMemoryStore, create: CreateTask, list_tasks: ListTasks
) -> None:
    made = {name: await create(OWNER, TaskDraft(title=name)) for name in "AXYBTD"}
    # A group rebalanced once (a0, a1, ...), then two moves into the same gap that tied (X, Y).
    keys = {"A": "a0", "X": "a0V", "Y": "a0V", "B": "a1", "T": "a2", "D": "a3"}
    for name, key in keys.items():
        store.tasks[made[name].id].position = key
    move = _made(MoveTask, container.use_cases.move_task)

    await move(OWNER, made["T"].id, Destination(after=made["X"].id))

    listed = (await list_tasks(OWNER, parent_id=None, sort=Sort.parse("position"))).items
    assert [task.title for task in listed] == list("AXTYBD")
    assert len({task.position for task in listed}) == 6
