"""Extreme but well-typed values anywhere in the domain and the list filters: the answer is a task,
a page, or a domain error, never another exception (which HTTP would turn into a 500)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from application.cursors import CursorCodec
from application.queries import Sort
from application.tasks import ListTasks
from domain.errors import DomainError
from domain.task import Priority, Recurrence, Task, TaskChanges, TaskDraft
from tests.unit.fakes import FakeClock

OFFSETS = st.sampled_from([timezone(timedelta(hours=hours)) for hours in (-14, -1, 0, 1, 14)])
FIRST, LAST = datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)
# Any instant Python can write down, in any offset; the ends always among them, where some have no
# UTC reading at all.
EDGES = st.builds(
    lambda moment, offset: moment.replace(tzinfo=offset), st.sampled_from([FIRST, LAST]), OFFSETS
)
TIMES = EDGES | st.datetimes(min_value=FIRST, max_value=LAST, timezones=OFFSETS)
TEXT = st.text(max_size=300)
DRAFTS = st.builds(
    TaskDraft,
    title=TEXT,
    description=st.none() | st.text(max_size=2100),
    priority=st.sampled_from(list(Priority)) | TEXT,
    tags=st.lists(TEXT, max_size=25),
    due_at=st.none() | TIMES,
    recurrence=st.none() | st.sampled_from(list(Recurrence)),
    completed=st.booleans(),
)
NOW = datetime(2030, 1, 1, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(draft=DRAFTS, later=TIMES)
def test_a_task_is_made_completed_reopened_and_continued_or_a_domain_error_says_why(
    draft: TaskDraft, later: datetime
) -> None:
    try:
        task = Task.create(id=uuid.uuid4(), owner_id="owner", draft=draft, now=NOW)
        task.apply(TaskChanges(completed=True), NOW)
        # On a copy: a task brings one successor only, and the one after `later` is the one wanted.
        copy.copy(task).bring_next_occurrence(id=uuid.uuid4(), now=NOW)
        task.apply(TaskChanges(completed=False, due_at=later), NOW)
        task.apply(TaskChanges(completed=True), NOW)
        successor = task.bring_next_occurrence(id=uuid.uuid4(), now=NOW)
    except DomainError:
        return
    assert task.bring_next_occurrence(id=uuid.uuid4(), now=NOW) is None
    if successor is not None:
        assert successor.due_at is not None
        assert successor.due_at.tzinfo is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    due_before=st.none() | TIMES,
    due_after=st.none() | TIMES,
    overdue=st.none() | st.booleans(),
    tags=st.lists(TEXT, max_size=3),
    q=st.none() | st.text(min_size=1, max_size=200),
    sort=st.sampled_from(["created_at", "-created_at", "due_at", "-due_at", "priority", "-title"]),
    limit=st.integers(min_value=1, max_value=100),
)
def test_any_list_filter_gives_a_page_or_a_domain_error(
    due_before: datetime | None,
    due_after: datetime | None,
    overdue: bool | None,
    tags: list[str],
    q: str | None,
    sort: str,
    limit: int,
) -> None:
    store = InMemoryStore()
    list_tasks = ListTasks(
        lambda owner: InMemoryUnitOfWork(owner, store), CursorCodec(b"k" * 32), FakeClock()
    )

    async def listing() -> None:
        await list_tasks(
            "owner",
            due_before=due_before,
            due_after=due_after,
            overdue=overdue,
            tags=tags,
            q=q,
            sort=Sort.parse(sort),
            limit=limit,
        )

    with contextlib.suppress(DomainError):
        asyncio.run(listing())
