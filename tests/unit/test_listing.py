"""Listing a page at a time: newest first, ties by id, filters honoured, cursors bound to them."""

from __future__ import annotations

import base64

import pytest

from application.errors import InvalidCursor
from application.tasks import CreateTask, ListTasks, ToggleTask
from domain.errors import InvalidSelection
from domain.task import Task, TaskDraft
from tests.unit.fakes import FakeClock


async def create_many(
    create: CreateTask, clock: FakeClock, count: int, *, owner: str = "alice"
) -> list[Task]:
    tasks = []
    for n in range(count):
        tasks.append(await create(owner, TaskDraft(title=f"Task {n}")))
        clock.advance()
    return tasks


async def walk(list_tasks: ListTasks, owner: str, *, limit: int, completed: bool | None = None) -> list[Task]:
    seen: list[Task] = []
    page = await list_tasks(owner, completed=completed, limit=limit)
    seen.extend(page.items)
    while page.next_cursor is not None:
        page = await list_tasks(owner, completed=completed, limit=limit, cursor=page.next_cursor)
        seen.extend(page.items)
    return seen


async def test_tasks_are_listed_newest_first(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks
) -> None:
    first, second, third = await create_many(create, clock, 3)

    page = await list_tasks("alice")

    assert [task.id for task in page.items] == [third.id, second.id, first.id]
    assert page.next_cursor is None


async def test_tasks_created_at_the_same_moment_are_ordered_by_id(
    create: CreateTask, list_tasks: ListTasks
) -> None:
    first = await create("alice", TaskDraft(title="One"))
    second = await create("alice", TaskDraft(title="Two"))

    page = await list_tasks("alice")

    assert first.created_at == second.created_at
    assert [task.id for task in page.items] == [second.id, first.id]


async def test_only_the_owners_tasks_are_listed(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks
) -> None:
    mine = await create_many(create, clock, 2)
    await create_many(create, clock, 2, owner="bob")

    page = await list_tasks("alice")

    assert {task.id for task in page.items} == {task.id for task in mine}


async def test_the_completed_filter_picks_done_or_open_tasks(
    create: CreateTask, clock: FakeClock, toggle: ToggleTask, list_tasks: ListTasks
) -> None:
    done, still_open = await create_many(create, clock, 2)
    await toggle("alice", done.id)

    completed = await list_tasks("alice", completed=True)
    pending = await list_tasks("alice", completed=False)

    assert [task.id for task in completed.items] == [done.id]
    assert [task.id for task in pending.items] == [still_open.id]


async def test_a_page_holds_at_most_limit_tasks_and_points_to_the_next(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks
) -> None:
    await create_many(create, clock, 3)

    page = await list_tasks("alice", limit=2)

    assert len(page.items) == 2
    assert page.next_cursor is not None


async def test_a_page_that_ends_the_list_has_no_next_cursor(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks
) -> None:
    await create_many(create, clock, 2)

    page = await list_tasks("alice", limit=2)

    assert len(page.items) == 2
    assert page.next_cursor is None


async def test_walking_every_page_returns_every_task_once_in_order(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks
) -> None:
    tasks = await create_many(create, clock, 4)
    tasks += [await create("alice", TaskDraft(title=f"Tied {n}")) for n in range(3)]
    newest_first = sorted(tasks, key=lambda task: (task.created_at, task.id), reverse=True)

    seen = await walk(list_tasks, "alice", limit=3)

    assert [task.id for task in seen] == [task.id for task in newest_first]


async def test_walking_a_filtered_list_returns_every_match_once(
    create: CreateTask, clock: FakeClock, toggle: ToggleTask, list_tasks: ListTasks
) -> None:
    tasks = await create_many(create, clock, 7)
    for task in tasks[::2]:
        await toggle("alice", task.id)

    seen = await walk(list_tasks, "alice", limit=2, completed=True)

    assert [task.id for task in seen] == [task.id for task in reversed(tasks[::2])]


async def test_tasks_added_while_walking_do_not_disturb_the_walk(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks
) -> None:
    tasks = await create_many(create, clock, 5)
    first = await list_tasks("alice", limit=2)
    await create("alice", TaskDraft(title="Added meanwhile"))
    assert first.next_cursor is not None

    rest = await list_tasks("alice", limit=10, cursor=first.next_cursor)

    walked = [task.id for task in first.items + rest.items]
    assert walked == [task.id for task in reversed(tasks)]


async def test_a_cursor_made_for_other_filters_is_refused(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks
) -> None:
    await create_many(create, clock, 3)
    page = await list_tasks("alice", limit=1)
    assert page.next_cursor is not None

    with pytest.raises(InvalidCursor):
        await list_tasks("alice", completed=False, limit=1, cursor=page.next_cursor)


async def test_a_tampered_cursor_is_refused(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks
) -> None:
    await create_many(create, clock, 3)
    page = await list_tasks("alice", limit=1)
    assert page.next_cursor is not None
    raw = bytearray(base64.urlsafe_b64decode(page.next_cursor + "=" * (-len(page.next_cursor) % 4)))
    raw[-3] ^= 0x01
    tampered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()

    with pytest.raises(InvalidCursor):
        await list_tasks("alice", limit=1, cursor=tampered)


async def test_an_offset_skips_that_many_tasks_and_the_total_counts_every_one_the_filters_select(
    create: CreateTask, clock: FakeClock, list_tasks: ListTasks, toggle: ToggleTask
) -> None:
    tasks = await create_many(create, clock, 5)
    await toggle("alice", tasks[0].id)  # done: not among the open ones
    await create_many(create, clock, 2, owner="bob")

    page = await list_tasks("alice", completed=False, limit=2, offset=1, with_total=True)
    last = await list_tasks("alice", completed=False, limit=2, offset=3, with_total=True)
    without = await list_tasks("alice", completed=False, limit=2, offset=1)

    assert [task.id for task in page.items] == [tasks[3].id, tasks[2].id]
    assert page.total == last.total == 4
    assert [task.id for task in last.items] == [tasks[1].id]
    assert last.next_cursor is None
    assert without.total is None


@pytest.mark.parametrize("offset", [-1, 1001])
async def test_an_offset_below_zero_or_past_the_cap_is_refused(list_tasks: ListTasks, offset: int) -> None:
    with pytest.raises(InvalidSelection):
        await list_tasks("alice", offset=offset)
