"""Where tasks go, as the use cases decide it over the in-memory adapter: the cases a client's
mistakes or habits reach (the contract suite runs the rest on every adapter)."""

from __future__ import annotations

from datetime import timedelta

from application.lists import CreateList
from application.tasks import ActOnTasks, BulkAction, CreateTask, CreateTaskOnce, GetTask, UpdateTask
from application.tasks.placing import Destination
from domain.task import TaskChanges, TaskDraft
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
