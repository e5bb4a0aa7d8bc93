"""Lists, subtasks and the manual order (issue 13) through the use cases, on every adapter: memory,
SQLite, PostgreSQL and PgBouncer alike.

Each test builds the use cases over the adapter's units of work with a clock that ticks a second at
each reading (so tasks made one after another go last in that order) and ids unique to the test
(the SQL databases are shared by the whole run), and checks what an owner sees afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.cursors import CursorCodec
from application.lists import CreateList, DeleteList, GetList, ListLists, MoveList, UpdateList
from application.ports import UnitOfWorkFactory
from application.positions import MAX_POSITION_LENGTH
from application.queries import Sort, SortField, TaskFilter
from application.summaries import ListSummary, TaskStats
from application.tasks import (
    ActOnTasks,
    BulkAction,
    CreateTask,
    DeleteTask,
    GetTaskStats,
    ListTasks,
    MoveTask,
    ToggleTask,
    UpdateTask,
)
from application.tasks.placing import Destination
from domain.errors import (
    InvalidList,
    InvalidPlacement,
    ListNotFound,
    ListVersionMismatch,
    TaskNotFound,
    TasksNotFound,
    TooManyLists,
    VersionMismatch,
)
from domain.task import MAX_DEPTH, UNSET, Recurrence, Task, TaskChanges, TaskDraft, Unset
from domain.task_list import MAX_LISTS, ListChanges, TaskList
from tests.support.builders import new_owner
from tests.unit.fakes import START

POSITION = Sort(SortField.POSITION, descending=False)
EVERYTHING = 10_000


class TickingClock:
    """A second later at each reading: whatever is made or changed next is made later."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


class UniqueIds:
    """Ids 1, 2, 3, ... under a prefix of this test's own: in a known order, and apart from every
    other test's in the shared databases."""

    def __init__(self) -> None:
        self._prefix = uuid.uuid4().int >> 64 << 64
        self._last = 0

    def new_id(self) -> UUID:
        self._last += 1
        return UUID(int=self._prefix | self._last)


class Service:
    """The use cases of issue 13, wired over one adapter's units of work."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow
        self.clock = TickingClock()
        self.ids = UniqueIds()
        writer = (uow, self.clock, self.ids)
        self.create_list = CreateList(*writer)
        self.list_lists = ListLists(*writer)
        self.get_list = GetList(*writer)
        self.update_list = UpdateList(*writer)
        self.move_list = MoveList(*writer)
        self.delete_list = DeleteList(*writer)
        self.create_task = CreateTask(*writer)
        self.move_task = MoveTask(*writer)
        self.update_task = UpdateTask(*writer)
        self.toggle_task = ToggleTask(*writer)
        self.delete_task = DeleteTask(uow)
        self.act_on_tasks = ActOnTasks(*writer)
        self.list_tasks = ListTasks(uow, CursorCodec(b"contract-key"), self.clock)
        self.task_stats = GetTaskStats(uow, self.clock)

    async def new_list(self, owner: str, name: str) -> TaskList:
        return (await self.create_list(owner, name)).list

    async def task(
        self,
        owner: str,
        title: str,
        *,
        list_id: UUID | Unset | None = UNSET,
        parent_id: UUID | Unset | None = UNSET,
        **draft: object,
    ) -> Task:
        destination = Destination(list_id=list_id, parent_id=parent_id)
        return await self.create_task(owner, TaskDraft(title=title, **draft), destination)  # type: ignore[arg-type]

    async def chain(self, owner: str, depth: int, *, list_id: UUID | None = None) -> list[Task]:
        """A task with a subtask, which has one, ... `depth` levels deep, top first."""
        chain = [await self.task(owner, "level 1", list_id=list_id)]
        for level in range(2, depth + 1):
            chain.append(await self.task(owner, f"level {level}", parent_id=chain[-1].id))
        return chain

    async def get(self, owner: str, task_id: UUID) -> Task | None:
        async with self.uow(owner) as uow:
            return await uow.tasks.get(task_id)

    async def loaded(self, owner: str, task_id: UUID) -> Task:
        task = await self.get(owner, task_id)
        assert task is not None, f"task {task_id} is gone"
        return task

    async def order(
        self,
        owner: str,
        *,
        list_id: UUID | Unset | None = UNSET,
        parent_id: UUID | Unset | None = UNSET,
    ) -> list[UUID]:
        """One group's tasks in manual order, in one page."""
        page = await self.list_tasks(
            owner, sort=POSITION, limit=EVERYTHING, list_id=list_id, parent_id=parent_id
        )
        assert page.next_cursor is None
        return [task.id for task in page.items]

    async def everything(self, owner: str) -> tuple[dict[UUID, Task], list[ListSummary]]:
        """All the owner has: every task (by id) and every list, archived or not."""
        async with self.uow(owner) as uow:
            tasks = await uow.tasks.find(TaskFilter(limit=EVERYTHING))
            lists = await uow.lists.summaries(archived=False) + await uow.lists.summaries(archived=True)
        return {task.id: task for task in tasks}, lists


def ids_of(items: Sequence[Task | TaskList | ListSummary]) -> list[UUID]:
    return [item.list.id if isinstance(item, ListSummary) else item.id for item in items]


@pytest.fixture
def service(uow_factory: UnitOfWorkFactory) -> Service:
    return Service(uow_factory)


# --- Lists ---


async def test_a_new_list_goes_last_among_the_owners_lists(service: Service) -> None:
    alice, bob = new_owner(), new_owner()
    work = await service.create_list(alice, "  Work  ", color="#A0B1C2")
    home = await service.new_list(alice, "Home")
    await service.new_list(bob, "Bob's")
    errands = await service.new_list(alice, "Errands")

    listed = await service.list_lists(alice)

    assert ids_of(listed) == [work.list.id, home.id, errands.id]
    assert [summary.open_tasks for summary in listed] == [0, 0, 0]
    first = listed[0].list
    assert (first.name, first.color, first.archived, first.version) == ("Work", "#a0b1c2", False, 1)
    assert listed[0] == work


async def test_moving_a_list_puts_it_after_another_or_first(service: Service) -> None:
    owner = new_owner()
    a, b, c = [await service.new_list(owner, name) for name in "abc"]

    moved = await service.move_list(owner, c.id, a.id)
    after_move = ids_of(await service.list_lists(owner))
    await service.move_list(owner, b.id, None)
    after_first = ids_of(await service.list_lists(owner))
    await service.move_list(owner, a.id, c.id)  # between c and the end: last
    after_last = ids_of(await service.list_lists(owner))

    assert moved.list.version == 2
    assert after_move == [a.id, c.id, b.id]
    assert after_first == [b.id, a.id, c.id]
    assert after_last == [b.id, c.id, a.id]


async def test_a_list_moved_after_itself_is_refused_and_after_another_owners_list_is_not_found(
    service: Service,
) -> None:
    alice, bob = new_owner(), new_owner()
    a, b = await service.new_list(alice, "a"), await service.new_list(alice, "b")
    bobs = await service.new_list(bob, "bob's")
    before = await service.everything(alice)

    with pytest.raises(InvalidList):
        await service.move_list(alice, b.id, b.id)
    with pytest.raises(ListNotFound):
        await service.move_list(alice, b.id, bobs.id)
    with pytest.raises(ListNotFound):
        await service.move_list(bob, a.id, None)

    assert await service.everything(alice) == before
    assert ids_of(await service.list_lists(bob)) == [bobs.id]


async def test_an_archived_list_is_listed_only_among_the_archived(service: Service) -> None:
    owner = new_owner()
    a, b, c = [await service.new_list(owner, name) for name in "abc"]

    archived = await service.update_list(owner, b.id, ListChanges(archived=True))
    unarchived_later = await service.update_list(owner, c.id, ListChanges(archived=True))
    await service.update_list(owner, c.id, ListChanges(archived=False))

    assert archived.list.archived
    assert unarchived_later.list.version == 2
    assert ids_of(await service.list_lists(owner)) == [a.id, c.id]
    assert ids_of(await service.list_lists(owner, archived=True)) == [b.id]
    assert (await service.get_list(owner, b.id)).list.archived


async def test_a_list_counts_its_open_tasks_subtasks_included(service: Service) -> None:
    alice, bob = new_owner(), new_owner()
    work, home = await service.new_list(alice, "Work"), await service.new_list(alice, "Home")
    report = await service.task(alice, "report", list_id=work.id)
    await service.task(alice, "outline", parent_id=report.id)
    await service.task(alice, "sources", parent_id=report.id, completed=True)
    await service.task(alice, "done", list_id=work.id, completed=True)
    await service.task(alice, "dishes", list_id=home.id)
    await service.task(alice, "in the inbox")
    await service.new_list(bob, "Bob's")
    await service.task(bob, "bob's inbox")

    counted = {summary.list.id: summary.open_tasks for summary in await service.list_lists(alice)}
    single = await service.get_list(alice, work.id)

    assert counted == {work.id: 2, home.id: 1}
    assert single.open_tasks == 2
    await service.toggle_task(alice, report.id)  # completes its open subtask with it
    assert (await service.get_list(alice, work.id)).open_tasks == 0


async def test_a_list_changes_only_at_a_version_the_caller_names(service: Service) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")

    renamed = await service.update_list(
        owner, work.id, ListChanges(name="Office", color="#ABCDEF"), if_match=[1]
    )
    with pytest.raises(ListVersionMismatch):
        await service.update_list(owner, work.id, ListChanges(name="Stale"), if_match=[1])
    with pytest.raises(ListVersionMismatch):
        await service.move_list(owner, work.id, None, if_match=[1])
    unchanged = await service.update_list(owner, work.id, ListChanges(name="Office"), if_match=[2])

    assert (renamed.list.name, renamed.list.color, renamed.list.version) == ("Office", "#abcdef", 2)
    assert unchanged.list.version == 2
    assert await service.get_list(owner, work.id) == renamed


async def test_another_owners_list_cannot_be_read_changed_or_deleted(service: Service) -> None:
    alice, bob = new_owner(), new_owner()
    work = await service.new_list(alice, "Work")
    await service.task(alice, "in work", list_id=work.id)
    before = await service.everything(alice)

    with pytest.raises(ListNotFound):
        await service.get_list(bob, work.id)
    with pytest.raises(ListNotFound):
        await service.update_list(bob, work.id, ListChanges(name="Bob's now"))
    with pytest.raises(ListNotFound):
        await service.delete_list(bob, work.id)

    assert await service.everything(alice) == before
    assert await service.list_lists(bob) == []


async def test_deleting_a_list_deletes_every_task_in_it_subtasks_included(service: Service) -> None:
    alice, bob = new_owner(), new_owner()
    work, home = await service.new_list(alice, "Work"), await service.new_list(alice, "Home")
    doomed = await service.chain(alice, 3, list_id=work.id)
    done = await service.task(alice, "done", list_id=work.id, completed=True)
    kept_in_home = await service.task(alice, "dishes", list_id=home.id)
    kept_in_inbox = await service.task(alice, "inbox")
    bobs = await service.task(bob, "bob's")

    await service.delete_list(alice, work.id, if_match=[1])

    tasks, lists = await service.everything(alice)
    assert set(tasks) == {kept_in_home.id, kept_in_inbox.id}
    assert ids_of(lists) == [home.id]
    for task in [*doomed, done]:
        assert await service.get(alice, task.id) is None
    with pytest.raises(ListNotFound):
        await service.get_list(alice, work.id)
    assert await service.get(bob, bobs.id) == bobs


async def test_a_list_deleted_at_a_stale_version_keeps_it_and_its_tasks(service: Service) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    await service.update_list(owner, work.id, ListChanges(name="Office"))
    await service.chain(owner, 2, list_id=work.id)
    before = await service.everything(owner)

    with pytest.raises(ListVersionMismatch):
        await service.delete_list(owner, work.id, if_match=[1])

    assert await service.everything(owner) == before


async def test_a_list_deletion_that_is_not_committed_keeps_the_list_and_its_tasks(service: Service) -> None:
    """The list and its tasks go in one transaction: until it commits, nothing is gone."""
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    chain = await service.chain(owner, 3, list_id=work.id)
    before = await service.everything(owner)

    async with service.uow(owner) as uow:
        assert await uow.lists.delete(work.id)
        inside = [await uow.tasks.get(task.id) for task in chain]
        assert await uow.lists.get(work.id) is None
        # rolled back: not committed

    assert inside == [None, None, None]
    assert await service.everything(owner) == before


async def test_an_owner_has_at_most_the_maximum_number_of_lists(service: Service) -> None:
    alice, bob = new_owner(), new_owner()
    async with service.uow(alice) as uow:
        for n in range(MAX_LISTS - 1):
            at = START + timedelta(microseconds=n)
            await uow.lists.add(
                TaskList.create(id=service.ids.new_id(), owner_id=alice, name=f"list {n}", color=None, now=at)
            )
        await uow.commit()

    last = await service.create_list(alice, "the last one allowed")
    with pytest.raises(TooManyLists):
        await service.create_list(alice, "one too many")
    bobs = await service.create_list(bob, "bob's first")

    listed = await service.list_lists(alice)
    assert len(listed) == MAX_LISTS
    assert listed[-1] == last
    assert "one too many" not in {summary.list.name for summary in listed}
    assert await service.list_lists(bob) == [bobs]


async def test_lists_that_tie_on_position_are_given_fresh_ones_when_one_goes_between(
    service: Service,
) -> None:
    owner = new_owner()
    a, b, c = [await service.new_list(owner, name) for name in "abc"]
    async with service.uow(owner) as uow:  # b ties with a: by id, a comes first
        tied = await uow.lists.get(b.id)
        assert tied is not None
        tied.move_to(a.position, START)
        assert await uow.lists.update(tied, expected_version=1)
        await uow.commit()
    assert ids_of(await service.list_lists(owner)) == [a.id, b.id, c.id]

    await service.move_list(owner, c.id, a.id)

    listed = await service.list_lists(owner)
    assert ids_of(listed) == [a.id, c.id, b.id]
    positions = [summary.list.position for summary in listed]
    assert positions == sorted(set(positions))  # no tie left


# --- Tasks in places: creating ---


async def test_a_new_task_goes_last_in_its_list_or_under_its_parent(service: Service) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    first = await service.task(owner, "first", list_id=work.id)
    second = await service.task(owner, "second", list_id=work.id)
    in_inbox = await service.task(owner, "inbox")
    sub_one = await service.task(owner, "sub one", parent_id=first.id)
    sub_two = await service.task(owner, "sub two", list_id=work.id, parent_id=first.id)
    third = await service.task(owner, "third", list_id=work.id, parent_id=None)

    assert (sub_one.list_id, sub_one.parent_id) == (work.id, first.id)  # the parent's list
    assert (sub_two.list_id, sub_two.parent_id) == (work.id, first.id)
    assert (in_inbox.list_id, in_inbox.parent_id) == (None, None)
    assert await service.order(owner, list_id=work.id, parent_id=None) == [first.id, second.id, third.id]
    assert await service.order(owner, parent_id=first.id) == [sub_one.id, sub_two.id]
    assert await service.order(owner, list_id=None, parent_id=None) == [in_inbox.id]
    assert set(await service.order(owner, list_id=work.id)) == set(
        ids_of([first, second, third, sub_one, sub_two])
    )


async def test_a_new_task_under_a_parent_in_another_list_is_refused(service: Service) -> None:
    owner = new_owner()
    work, home = await service.new_list(owner, "Work"), await service.new_list(owner, "Home")
    parent = await service.task(owner, "parent", list_id=work.id)
    in_inbox = await service.task(owner, "inbox")
    before = await service.everything(owner)

    with pytest.raises(InvalidPlacement):
        await service.task(owner, "elsewhere", list_id=home.id, parent_id=parent.id)
    with pytest.raises(InvalidPlacement):
        await service.task(owner, "in the inbox", list_id=None, parent_id=parent.id)
    with pytest.raises(InvalidPlacement):
        await service.task(owner, "under an inbox task", list_id=work.id, parent_id=in_inbox.id)

    assert await service.everything(owner) == before


async def test_a_new_task_in_another_owners_list_or_under_their_task_is_not_found(service: Service) -> None:
    alice, bob = new_owner(), new_owner()
    bobs_list = await service.new_list(bob, "Bob's")
    bobs_task = await service.task(bob, "bob's", list_id=bobs_list.id)
    await service.task(alice, "alice's")
    before = await service.everything(alice), await service.everything(bob)

    with pytest.raises(ListNotFound):
        await service.task(alice, "into bob's list", list_id=bobs_list.id)
    with pytest.raises(TaskNotFound):
        await service.task(alice, "under bob's task", parent_id=bobs_task.id)
    with pytest.raises(TaskNotFound):
        await service.task(
            alice, "under bob's task, in his list", list_id=bobs_list.id, parent_id=bobs_task.id
        )

    assert (await service.everything(alice), await service.everything(bob)) == before


async def test_a_new_task_nests_at_most_the_maximum_depth(service: Service) -> None:
    owner = new_owner()
    chain = await service.chain(owner, MAX_DEPTH)
    before = await service.everything(owner)

    with pytest.raises(InvalidPlacement):
        await service.task(owner, "one level too deep", parent_id=chain[-1].id)

    assert await service.everything(owner) == before
    assert MAX_DEPTH == 5
    assert [task.parent_id for task in chain] == [None, *ids_of(chain[:-1])]


# --- Tasks in places: moving ---


async def test_a_task_moves_after_a_sibling_first_and_last(service: Service) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    a, b, c, d = [await service.task(owner, name, list_id=work.id) for name in "abcd"]

    moved = await service.move_task(owner, d.id, Destination(after=a.id))
    after_a = await service.order(owner, list_id=work.id, parent_id=None)
    await service.move_task(owner, c.id, Destination(after=None))
    first = await service.order(owner, list_id=work.id, parent_id=None)
    await service.move_task(owner, a.id, Destination(list_id=work.id))
    last = await service.order(owner, list_id=work.id, parent_id=None)

    assert after_a == [a.id, d.id, b.id, c.id]
    assert first == [c.id, a.id, d.id, b.id]
    assert last == [c.id, d.id, b.id, a.id]
    assert (moved.list_id, moved.parent_id, moved.version) == (work.id, None, 2)
    assert (await service.loaded(owner, b.id)).version == 1  # its neighbours were not renumbered


async def test_a_move_to_where_the_task_is_changes_nothing(service: Service) -> None:
    owner = new_owner()
    a, b = await service.task(owner, "a"), await service.task(owner, "b")

    after_a = await service.move_task(owner, b.id, Destination(after=a.id))
    last = await service.move_task(owner, b.id, Destination(list_id=None))
    first = await service.move_task(owner, a.id, Destination(after=None))

    assert (after_a.version, last.version, first.version) == (1, 1, 1)
    assert await service.order(owner, list_id=None, parent_id=None) == [a.id, b.id]


async def test_a_task_moves_only_at_a_version_the_caller_names(service: Service) -> None:
    owner = new_owner()
    a, b = await service.task(owner, "a"), await service.task(owner, "b")

    with pytest.raises(VersionMismatch):
        await service.move_task(owner, b.id, Destination(after=None), if_match=[2])
    moved = await service.move_task(owner, b.id, Destination(after=None), if_match=[1])

    assert moved.version == 2
    assert await service.order(owner, list_id=None) == [b.id, a.id]


async def test_a_task_moved_to_another_list_takes_its_whole_subtree(service: Service) -> None:
    owner = new_owner()
    work, home = await service.new_list(owner, "Work"), await service.new_list(owner, "Home")
    already_home = await service.task(owner, "already home", list_id=home.id)
    top = await service.task(owner, "top", list_id=work.id)
    moving = await service.task(owner, "moving", parent_id=top.id)
    child = await service.task(owner, "child", parent_id=moving.id)
    grandchild = await service.task(owner, "grandchild", parent_id=child.id, completed=True)
    stays = await service.task(owner, "stays", parent_id=top.id)

    moved = await service.move_task(owner, moving.id, Destination(list_id=home.id))

    assert (moved.list_id, moved.parent_id) == (home.id, None)  # at the top level of the other list
    assert await service.order(owner, list_id=home.id, parent_id=None) == [already_home.id, moving.id]
    for below, parent in [(child, moving), (grandchild, child)]:
        now = await service.loaded(owner, below.id)
        assert (now.list_id, now.parent_id, now.version) == (home.id, parent.id, below.version + 1)
    assert (await service.loaded(owner, stays.id)).list_id == work.id
    assert set(await service.order(owner, list_id=work.id)) == {top.id, stays.id}
    assert (await service.get_list(owner, work.id)).open_tasks == 2
    assert (await service.get_list(owner, home.id)).open_tasks == 3


async def test_a_task_moves_under_another_parent_last_and_into_its_list(service: Service) -> None:
    owner = new_owner()
    work, home = await service.new_list(owner, "Work"), await service.new_list(owner, "Home")
    old_parent = await service.task(owner, "old parent", list_id=work.id)
    moving = await service.task(owner, "moving", parent_id=old_parent.id)
    below = await service.task(owner, "below", parent_id=moving.id)
    new_parent = await service.task(owner, "new parent", list_id=home.id)
    existing = await service.task(owner, "existing", parent_id=new_parent.id)

    moved = await service.move_task(owner, moving.id, Destination(parent_id=new_parent.id))

    assert (moved.list_id, moved.parent_id) == (home.id, new_parent.id)
    assert await service.order(owner, parent_id=new_parent.id) == [existing.id, moving.id]
    assert await service.order(owner, parent_id=old_parent.id) == []
    assert (await service.loaded(owner, below.id)).list_id == home.id

    # To the top level of the same list: parent None, list unchanged.
    await service.move_task(owner, moving.id, Destination(parent_id=None))
    assert await service.order(owner, list_id=home.id, parent_id=None) == [new_parent.id, moving.id]


async def test_a_task_moved_after_a_task_elsewhere_goes_to_that_ones_place(service: Service) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    parent = await service.task(owner, "parent", list_id=work.id)
    x, y = (
        await service.task(owner, "x", parent_id=parent.id),
        await service.task(owner, "y", parent_id=parent.id),
    )
    inbox_task = await service.task(owner, "inbox task")
    inbox_child = await service.task(owner, "inbox child", parent_id=inbox_task.id)

    moved = await service.move_task(owner, inbox_task.id, Destination(after=x.id))

    assert (moved.list_id, moved.parent_id) == (work.id, parent.id)
    assert await service.order(owner, parent_id=parent.id) == [x.id, inbox_task.id, y.id]
    assert (await service.loaded(owner, inbox_child.id)).list_id == work.id


async def test_a_task_cannot_go_under_itself_or_its_own_subtasks(service: Service) -> None:
    owner = new_owner()
    top, child, grandchild = await service.chain(owner, 3)
    before = await service.everything(owner)

    with pytest.raises(InvalidPlacement):
        await service.move_task(owner, top.id, Destination(parent_id=grandchild.id))
    with pytest.raises(InvalidPlacement):
        await service.move_task(owner, top.id, Destination(parent_id=child.id))
    with pytest.raises(InvalidPlacement):
        await service.move_task(owner, top.id, Destination(parent_id=top.id))
    with pytest.raises(InvalidPlacement):
        await service.move_task(owner, top.id, Destination(after=grandchild.id))  # under child, then
    with pytest.raises(InvalidPlacement):
        await service.update_task(
            owner, child.id, TaskChanges(title="changed"), destination=Destination(parent_id=grandchild.id)
        )
    with pytest.raises(InvalidPlacement):
        await service.move_task(owner, top.id, Destination(after=top.id))

    assert await service.everything(owner) == before


async def test_a_move_counts_the_height_of_the_moved_subtree_against_the_depth(service: Service) -> None:
    owner = new_owner()
    deep = await service.chain(owner, 4)  # levels 1 to 4
    mover = await service.task(owner, "mover")
    await service.task(owner, "mover's child", parent_id=mover.id)  # a subtree two levels high
    before = await service.everything(owner)

    with pytest.raises(InvalidPlacement):
        await service.move_task(owner, mover.id, Destination(parent_id=deep[3].id))  # 5 and 6: too deep
    assert await service.everything(owner) == before

    deeper = await service.chain(owner, 5)
    before = await service.everything(owner)
    with pytest.raises(InvalidPlacement):
        await service.move_task(owner, mover.id, Destination(after=deeper[4].id))  # under level 4: too deep
    assert await service.everything(owner) == before

    moved = await service.move_task(owner, mover.id, Destination(parent_id=deep[2].id))  # 4 and 5
    assert moved.parent_id == deep[2].id
    beside = await service.move_task(owner, mover.id, Destination(after=deeper[3].id))  # 4 and 5 again
    assert beside.parent_id == deeper[2].id


async def test_another_owners_list_parent_or_sibling_is_not_found_and_nothing_moves(
    service: Service,
) -> None:
    alice, bob = new_owner(), new_owner()
    work = await service.new_list(alice, "Work")
    mine = await service.task(alice, "mine", list_id=work.id)
    await service.task(alice, "mine too", list_id=work.id)
    bobs_list = await service.new_list(bob, "Bob's")
    bobs_task = await service.task(bob, "bob's", list_id=bobs_list.id)
    before = await service.everything(alice), await service.everything(bob)

    with pytest.raises(ListNotFound):
        await service.move_task(alice, mine.id, Destination(list_id=bobs_list.id))
    with pytest.raises(TaskNotFound):
        await service.move_task(alice, mine.id, Destination(parent_id=bobs_task.id))
    with pytest.raises(TaskNotFound):
        await service.move_task(alice, mine.id, Destination(after=bobs_task.id))
    with pytest.raises(ListNotFound):
        await service.update_task(
            alice, mine.id, TaskChanges(title="renamed"), destination=Destination(list_id=bobs_list.id)
        )
    with pytest.raises(TaskNotFound):
        await service.move_task(bob, mine.id, Destination(list_id=bobs_list.id))

    assert (await service.everything(alice), await service.everything(bob)) == before


async def test_an_update_with_a_destination_changes_and_moves_in_one_version(service: Service) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    task = await service.task(owner, "task")
    child = await service.task(owner, "child", parent_id=task.id)

    updated = await service.update_task(
        owner, task.id, TaskChanges(title="renamed"), if_match=[1], destination=Destination(list_id=work.id)
    )

    assert (updated.title, updated.list_id, updated.parent_id, updated.version) == (
        "renamed",
        work.id,
        None,
        2,
    )
    assert await service.loaded(owner, task.id) == updated
    assert (await service.loaded(owner, child.id)).list_id == work.id


# --- Completing, deleting, recurring ---


async def test_completing_a_task_completes_its_open_subtasks_and_reopening_leaves_them(
    service: Service,
) -> None:
    owner = new_owner()
    parent = await service.task(owner, "parent")
    open_child = await service.task(owner, "open child", parent_id=parent.id)
    open_grandchild = await service.task(owner, "open grandchild", parent_id=open_child.id)
    done_child = await service.task(owner, "done child", parent_id=parent.id, completed=True)
    sibling = await service.task(owner, "sibling")

    completed = await service.toggle_task(owner, parent.id)

    assert completed.completed
    for below in (open_child, open_grandchild):
        now = await service.loaded(owner, below.id)
        assert (now.completed, now.version, now.completed_at) == (True, 2, completed.completed_at)
    assert await service.loaded(owner, done_child.id) == done_child  # already done: untouched
    assert await service.loaded(owner, sibling.id) == sibling

    done = [await service.loaded(owner, task.id) for task in (open_child, open_grandchild, done_child)]

    reopened = await service.toggle_task(owner, parent.id)

    assert not reopened.completed
    assert [await service.loaded(owner, task.id) for task in done] == done  # still done, untouched


async def test_completing_by_update_completes_the_subtasks_too(service: Service) -> None:
    owner = new_owner()
    parent = await service.task(owner, "parent")
    child = await service.task(owner, "child", parent_id=parent.id)

    await service.update_task(owner, parent.id, TaskChanges(completed=True))

    assert (await service.loaded(owner, child.id)).completed


async def test_deleting_a_task_deletes_its_subtree(service: Service) -> None:
    owner = new_owner()
    top, child, grandchild = await service.chain(owner, 3)
    other_child = await service.task(owner, "other child", parent_id=top.id)
    kept_child = await service.task(owner, "kept child", parent_id=other_child.id)

    await service.delete_task(owner, child.id)

    tasks, _ = await service.everything(owner)
    assert set(tasks) == {top.id, other_child.id, kept_child.id}
    assert await service.get(owner, grandchild.id) is None

    await service.delete_task(owner, top.id, if_match=[1])

    assert (await service.everything(owner))[0] == {}


async def test_a_recurring_tasks_next_occurrence_comes_with_open_copies_of_its_subtasks(
    service: Service,
) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    due = START + timedelta(days=2)
    weekly = await service.task(
        owner, "weekly review", list_id=work.id, due_at=due, recurrence=Recurrence.WEEKLY
    )
    inbox = await service.task(owner, "inbox", parent_id=weekly.id, due_at=due - timedelta(hours=1))
    mail = await service.task(owner, "mail", parent_id=weekly.id)
    folders = await service.task(owner, "folders", parent_id=inbox.id, completed=True)
    await service.move_task(owner, mail.id, Destination(after=None))  # mail first, then inbox

    completed = await service.toggle_task(owner, weekly.id)

    assert completed.successor_id is not None
    successor = await service.loaded(owner, completed.successor_id)
    assert (successor.list_id, successor.parent_id, successor.completed) == (work.id, None, False)
    assert successor.due_at == due + timedelta(weeks=1)
    assert await service.order(owner, list_id=work.id, parent_id=None) == [weekly.id, successor.id]

    copies = (await service.list_tasks(owner, parent_id=successor.id, sort=POSITION)).items
    assert [(copy.title, copy.completed, copy.list_id) for copy in copies] == [
        ("mail", False, work.id),
        ("inbox", False, work.id),
    ]
    mail_copy, inbox_copy = copies
    assert mail_copy.due_at is None
    assert inbox_copy.due_at == due - timedelta(hours=1) + timedelta(weeks=1)
    assert {mail_copy.id, inbox_copy.id}.isdisjoint({mail.id, inbox.id})
    moved_mail = await service.loaded(owner, mail.id)
    assert (mail_copy.position, inbox_copy.position) == (moved_mail.position, inbox.position)
    below_copy = (await service.list_tasks(owner, parent_id=inbox_copy.id, sort=POSITION)).items
    assert [(copy.title, copy.completed, copy.parent_id) for copy in below_copy] == [
        ("folders", False, inbox_copy.id)
    ]

    originals = [await service.loaded(owner, task.id) for task in (inbox, mail, folders)]
    assert all(task.completed for task in originals)
    assert [task.parent_id for task in originals] == [weekly.id, weekly.id, inbox.id]
    assert (await service.get_list(owner, work.id)).open_tasks == 4


# --- Bulk ---


async def test_a_bulk_move_puts_the_named_tasks_last_in_the_order_named_with_their_subtrees(
    service: Service,
) -> None:
    owner = new_owner()
    work, home = await service.new_list(owner, "Work"), await service.new_list(owner, "Home")
    already = await service.task(owner, "already home", list_id=home.id)
    a, b, c = [await service.task(owner, name, list_id=work.id) for name in "abc"]
    a_child = await service.task(owner, "a's child", parent_id=a.id)
    a_grandchild = await service.task(owner, "a's grandchild", parent_id=a_child.id)
    b_child = await service.task(owner, "b's child", parent_id=b.id)
    left = await service.task(owner, "left behind", list_id=work.id)

    moved = await service.act_on_tasks(
        owner, BulkAction.MOVE, [c.id, already.id, a_child.id, a.id, b_child.id, b.id], list_id=home.id
    )

    assert moved == 3  # c, a and b; the already-placed one and the named descendants are not
    assert await service.order(owner, list_id=home.id, parent_id=None) == [already.id, c.id, a.id, b.id]
    assert await service.order(owner, parent_id=a.id) == [a_child.id]
    assert await service.order(owner, parent_id=a_child.id) == [a_grandchild.id]
    assert await service.order(owner, parent_id=b.id) == [b_child.id]
    for task in (a_child, a_grandchild, b_child):
        assert (await service.loaded(owner, task.id)).list_id == home.id
    assert await service.order(owner, list_id=work.id) == [left.id]


async def test_a_bulk_move_takes_a_subtask_to_the_top_level_of_the_inbox(service: Service) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    parent = await service.task(owner, "parent", list_id=work.id)
    child = await service.task(owner, "child", parent_id=parent.id)
    grandchild = await service.task(owner, "grandchild", parent_id=child.id)
    in_inbox = await service.task(owner, "in the inbox")

    moved = await service.act_on_tasks(owner, BulkAction.MOVE, [child.id], list_id=None)

    assert moved == 1
    assert await service.order(owner, list_id=None, parent_id=None) == [in_inbox.id, child.id]
    assert (await service.loaded(owner, grandchild.id)).list_id is None
    assert await service.order(owner, parent_id=parent.id) == []


async def test_a_bulk_move_to_another_owners_list_or_of_their_tasks_changes_nothing(
    service: Service,
) -> None:
    alice, bob = new_owner(), new_owner()
    mine = await service.task(alice, "mine")
    bobs_list = await service.new_list(bob, "Bob's")
    bobs_task = await service.task(bob, "bob's")
    before = await service.everything(alice), await service.everything(bob)

    with pytest.raises(ListNotFound):
        await service.act_on_tasks(alice, BulkAction.MOVE, [mine.id], list_id=bobs_list.id)
    with pytest.raises(TasksNotFound):
        await service.act_on_tasks(alice, BulkAction.MOVE, [mine.id, bobs_task.id], list_id=None)

    assert (await service.everything(alice), await service.everything(bob)) == before


async def test_a_bulk_delete_of_a_task_and_its_subtask_counts_the_named_tasks(service: Service) -> None:
    owner = new_owner()
    parent, child, grandchild = await service.chain(owner, 3)
    sibling = await service.task(owner, "sibling")

    deleted = await service.act_on_tasks(owner, BulkAction.DELETE, [child.id, parent.id])

    assert deleted == 2
    assert set((await service.everything(owner))[0]) == {sibling.id}
    assert await service.get(owner, grandchild.id) is None


@pytest.mark.parametrize("parent_first", [True, False], ids=["parent-first", "child-first"])
async def test_a_bulk_completion_of_a_task_and_its_subtask_completes_both(
    service: Service, parent_first: bool
) -> None:
    """Completing the parent completes the child in the same unit of work: the child, named too,
    must not then be stored over that as a lost race (whichever is named first)."""
    owner = new_owner()
    parent = await service.task(owner, "parent")
    child = await service.task(owner, "child", parent_id=parent.id)
    named = [parent.id, child.id] if parent_first else [child.id, parent.id]

    affected = await service.act_on_tasks(owner, BulkAction.COMPLETE, named)

    assert affected == 2
    completed = [await service.loaded(owner, task.id) for task in (parent, child)]
    assert [(task.completed, task.version) for task in completed] == [(True, 2), (True, 2)]


# --- Listing and counting by place ---


async def test_listing_or_counting_another_owners_list_or_subtasks_is_not_found(service: Service) -> None:
    alice, bob = new_owner(), new_owner()
    bobs_list = await service.new_list(bob, "Bob's")
    bobs_task = await service.task(bob, "bob's", list_id=bobs_list.id)
    await service.task(bob, "bob's child", parent_id=bobs_task.id)

    with pytest.raises(ListNotFound):
        await service.list_tasks(alice, list_id=bobs_list.id)
    with pytest.raises(TaskNotFound):
        await service.list_tasks(alice, parent_id=bobs_task.id)
    with pytest.raises(ListNotFound):
        await service.task_stats(alice, list_id=bobs_list.id)


async def test_stats_count_one_lists_tasks_or_the_inboxs(service: Service) -> None:
    owner = new_owner()
    work, home = await service.new_list(owner, "Work"), await service.new_list(owner, "Home")
    late = START - timedelta(days=1)
    report = await service.task(owner, "report", list_id=work.id, due_at=late)
    await service.task(owner, "outline", parent_id=report.id, completed=True)
    await service.task(owner, "slides", parent_id=report.id)
    await service.task(owner, "dishes", list_id=home.id, due_at=late)
    await service.task(owner, "inbox late", due_at=late)
    await service.task(owner, "inbox done", completed=True)
    await service.task(owner, "inbox open")
    await service.task(new_owner(), "someone else's")

    assert await service.task_stats(owner, list_id=work.id) == TaskStats(
        total=3, completed=1, pending=2, overdue=1
    )
    assert await service.task_stats(owner, list_id=None) == TaskStats(
        total=3, completed=1, pending=2, overdue=1
    )
    assert await service.task_stats(owner, list_id=home.id) == TaskStats(
        total=1, completed=0, pending=1, overdue=1
    )
    assert await service.task_stats(owner) == TaskStats(total=7, completed=2, pending=5, overdue=3)


async def _pages(
    service: Service,
    owner: str,
    *,
    limit: int,
    sort: Sort = POSITION,
    list_id: UUID | Unset | None = UNSET,
    parent_id: UUID | Unset | None = UNSET,
) -> list[UUID]:
    """Every page from the first, each asked with the previous page's cursor."""
    seen: list[UUID] = []
    cursor = None
    for _ in range(100):
        page = await service.list_tasks(
            owner, sort=sort, limit=limit, cursor=cursor, list_id=list_id, parent_id=parent_id
        )
        seen += [task.id for task in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    pytest.fail("paging did not end")


@pytest.mark.parametrize("descending", [False, True], ids=["position", "-position"])
async def test_pages_in_manual_order_add_up_to_the_whole_group(service: Service, descending: bool) -> None:
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    top = [await service.task(owner, f"top {n}", list_id=work.id) for n in range(7)]
    subs = [await service.task(owner, f"sub {n}", parent_id=top[0].id) for n in range(5)]
    await service.task(owner, "in the inbox")
    # Scramble both groups, with a tie (broken by id) and a rebalance among the subtasks, and a
    # move before the rebalanced keys ("a0", ...): upper and lower case keys that only byte order
    # sorts right.
    await service.move_task(owner, top[6].id, Destination(after=None))
    await service.move_task(owner, top[1].id, Destination(after=top[4].id))
    await service.move_task(owner, top[0].id, Destination(list_id=work.id))
    async with service.uow(owner) as uow:
        tied = await uow.tasks.get(subs[3].id)
        assert tied is not None
        tied.apply_position(subs[1].position, START)
        assert await uow.tasks.update(tied, expected_version=1)
        await uow.commit()
    await service.move_task(owner, subs[4].id, Destination(after=subs[1].id))  # into the tie
    await service.move_task(owner, subs[2].id, Destination(after=None))
    await service.move_task(owner, subs[0].id, Destination(after=None))
    expected_top = ids_of([top[6], top[2], top[3], top[4], top[1], top[5], top[0]])
    expected_subs = ids_of([subs[0], subs[2], subs[1], subs[4], subs[3]])
    if descending:
        expected_top.reverse()
        expected_subs.reverse()
    sort = Sort(SortField.POSITION, descending=descending)

    top_level = await service.list_tasks(owner, sort=sort, limit=EVERYTHING, list_id=work.id, parent_id=None)
    subtasks = await service.list_tasks(owner, sort=sort, limit=EVERYTHING, parent_id=top[0].id)

    assert [task.id for task in top_level.items] == expected_top
    assert [task.id for task in subtasks.items] == expected_subs
    for limit in (1, 2, 3):
        assert (
            await _pages(service, owner, limit=limit, sort=sort, list_id=work.id, parent_id=None)
            == expected_top
        )
        assert await _pages(service, owner, limit=limit, sort=sort, parent_id=top[0].id) == expected_subs
        assert (
            await _pages(service, owner, limit=limit, sort=sort, list_id=work.id, parent_id=top[0].id)
            == expected_subs
        )


# --- The manual order, by property ---

GROUPS = ["inbox", "list", "subtasks"]


@dataclass(frozen=True)
class Move:
    """Move the task at `mover` (an index into the group's order before the move) first (`to` None),
    last ("last"), or after the task at index `to`."""

    mover: int
    to: int | str | None


moves = st.builds(Move, st.integers(0, 7), st.one_of(st.none(), st.just("last"), st.integers(0, 7)))


async def _group(service: Service, owner: str, where: str, size: int) -> tuple[list[Task], Destination]:
    """`size` siblings made one after another, and the destination that puts one of them last."""
    if where == "inbox":
        tasks = [await service.task(owner, f"task {n}") for n in range(size)]
        return tasks, Destination(list_id=None)
    work = await service.new_list(owner, "Work")
    if where == "list":
        tasks = [await service.task(owner, f"task {n}", list_id=work.id) for n in range(size)]
        return tasks, Destination(list_id=work.id)
    parent = await service.task(owner, "parent", list_id=work.id)
    tasks = [await service.task(owner, f"task {n}", parent_id=parent.id) for n in range(size)]
    return tasks, Destination(parent_id=parent.id)


async def _listed(service: Service, owner: str, sample: Task) -> list[Task]:
    return (
        await service.list_tasks(
            owner, sort=POSITION, limit=EVERYTHING, list_id=sample.list_id, parent_id=sample.parent_id
        )
    ).items


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    where=st.sampled_from(GROUPS),
    size=st.integers(2, 6),
    asked=st.lists(moves, min_size=1, max_size=12),
)
async def test_any_moves_leave_the_group_in_the_order_they_asked_for(
    uow_factory: UnitOfWorkFactory, where: str, size: int, asked: list[Move]
) -> None:
    service = Service(uow_factory)
    owner = new_owner()
    tasks, to_last = await _group(service, owner, where, size)
    order = ids_of(tasks)

    for move in asked:
        mover = order[move.mover % size]
        anchor = order[move.to % size] if isinstance(move.to, int) else None
        if anchor == mover:
            with pytest.raises(InvalidPlacement):
                await service.move_task(owner, mover, Destination(after=mover))
            continue
        order.remove(mover)
        destination: Destination
        if anchor is not None:
            destination, index = Destination(after=anchor), order.index(anchor) + 1
        elif move.to is None:
            destination, index = Destination(after=None), 0
        else:
            destination, index = to_last, len(order)
        order.insert(index, mover)
        await service.move_task(owner, mover, destination)

    listed = await _listed(service, owner, tasks[0])
    assert ids_of(listed) == order
    assert all(len(task.position) <= MAX_POSITION_LENGTH for task in listed)
    assert all((task.list_id, task.parent_id) == (tasks[0].list_id, tasks[0].parent_id) for task in listed)


async def test_moves_into_one_gap_again_and_again_rebalance_and_keep_the_order(service: Service) -> None:
    """Each move goes between the first task and the one moved before it: the new position grows
    a character every few moves, until the group is given fresh positions."""
    owner = new_owner()
    work = await service.new_list(owner, "Work")
    first, x, y, last = [
        await service.task(owner, name, list_id=work.id) for name in ("first", "x", "y", "last")
    ]
    longest = 0

    for n in range(300):
        mover, other = (x, y) if n % 2 == 0 else (y, x)
        moved = await service.move_task(owner, mover.id, Destination(after=first.id))
        longest = max(longest, len(moved.position))
        expected = [first.id, mover.id, other.id, last.id]

    listed = await _listed(service, owner, first)
    assert ids_of(listed) == expected
    assert all(len(task.position) <= MAX_POSITION_LENGTH for task in listed)
    assert longest > MAX_POSITION_LENGTH // 2  # the keys did grow on the way
    # A rebalance gave every sibling a new position, the ones never moved too.
    for unmoved in (first, last):
        now = await service.loaded(owner, unmoved.id)
        assert now.version > 1
        assert now.position != unmoved.position


async def test_a_move_between_two_siblings_that_tie_rebalances_and_keeps_the_order(service: Service) -> None:
    owner = new_owner()
    parent = await service.task(owner, "parent")
    a, b, c, d = [await service.task(owner, name, parent_id=parent.id) for name in "abcd"]
    async with service.uow(owner) as uow:  # b ties with a: by id, a comes first
        tied = await uow.tasks.get(b.id)
        assert tied is not None
        tied.apply_position(a.position, START)
        assert await uow.tasks.update(tied, expected_version=1)
        await uow.commit()
    assert await service.order(owner, parent_id=parent.id) == ids_of([a, b, c, d])

    await service.move_task(owner, d.id, Destination(after=a.id))

    listed = await _listed(service, owner, a)
    assert ids_of(listed) == ids_of([a, d, b, c])
    positions = [task.position for task in listed]
    assert positions == sorted(set(positions))  # no tie left
    assert all(len(position) <= MAX_POSITION_LENGTH for position in positions)
    renumbered = [await service.loaded(owner, task.id) for task in (a, b, c)]
    assert any(task.version > 1 for task in renumbered)  # the siblings were given fresh positions
    newest = await service.task(owner, "newest", parent_id=parent.id)  # still goes last
    assert await service.order(owner, parent_id=parent.id) == ids_of([a, d, b, c, newest])
