"""Filters, sorts and keyset pages of the SQL adapter against the in-memory reference, by hypothesis.

Each example stores a few tasks for a fresh owner (plus some for another owner) in the SQL database
under test and in a fresh in-memory store, asks both the same generated query, and requires the
same ordered ids; then it walks the query's pages by keyset and requires them to add up, in order,
to the unpaged answer. A plain reading of the contract (API.md) checks the reference itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from adapters.memory import InMemoryStore, InMemoryUnitOfWork
from application.ports import UnitOfWorkFactory
from application.queries import PagePosition, Sort, SortField, TaskFilter
from domain.task import Priority, Task, TaskDraft, fold
from tests.conftest import BACKENDS
from tests.support.builders import T0, a_task, new_owner

NOW = T0 + timedelta(hours=2)  # what "overdue" is measured against
UNPAGED = 1_000

# Text that tempts every way of getting search and title order wrong: case, folding that changes
# length (ß -> ss), accents, LIKE's wildcards and escape, quotes, non-BMP and full-width letters.
TEXT_ALPHABET = "aAbsSß%_\\'\" éÉ🎉\uff46"
TITLES = [
    "Straße",
    "STRASSE",
    "strasse",
    "ÉCOLE",
    "école",
    "ecole",
    "café",
    "CAFE",
    "100% done",
    "100 done",
    "a_b",
    "aXb",
    "back\\slash",
    "backslash",
    "it's",
    'say "hi"',
    "🎉 party",
    "\uff46\uff55\uff4c\uff4c width",
    "Zebra",
    "apple",
    "Apple",
]
FRAGMENTS = [
    "ss",
    "ß",
    "STRASSE",
    "é",
    "École",
    "%",
    "_",
    "\\",
    "'",
    '"',
    "a_",
    "0%",
    "🎉",
    "\uff46",
    "apple",
]
TAGS = ["home", "work", "urgent", "café"]
CREATED = [T0, T0, T0 + timedelta(microseconds=1), T0 + timedelta(minutes=1), T0 + timedelta(days=1)]
DUE = [T0 - timedelta(days=1), T0, T0, T0 + timedelta(hours=1), NOW, T0 + timedelta(days=3)]
BOUNDS = [T0 - timedelta(days=2), T0, T0 + timedelta(minutes=30), NOW, T0 + timedelta(days=5)]

texts = st.text(alphabet=TEXT_ALPHABET, min_size=1, max_size=8).filter(str.strip)
titles = st.one_of(st.sampled_from(TITLES), texts)
descriptions = st.one_of(st.none(), st.sampled_from(TITLES), texts)


@dataclass(frozen=True)
class Draft:
    """One generated task, before it gets its owner and id."""

    suffix: int  # the low bits of its id: ties on the sort field go by id
    title: str
    description: str | None
    priority: Priority
    tags: tuple[str, ...]
    due_at: datetime | None
    created_at: datetime
    completed: bool


@st.composite
def drafts(draw: st.DrawFn, suffix: int) -> Draft:
    return Draft(
        suffix=suffix,
        title=draw(titles),
        description=draw(descriptions),
        priority=draw(st.sampled_from(Priority)),
        tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))),
        due_at=draw(st.one_of(st.none(), st.sampled_from(DUE))),
        created_at=draw(st.sampled_from(CREATED)),
        completed=draw(st.booleans()),
    )


@st.composite
def task_sets(draw: st.DrawFn, min_size: int, max_size: int) -> list[Draft]:
    suffixes = draw(st.lists(st.integers(0, 2**16), min_size=min_size, max_size=max_size, unique=True))
    return [draw(drafts(suffix)) for suffix in suffixes]


def sometimes(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None three times in four, and when shrinking: most examples ask little and match something."""
    return st.one_of(st.none(), st.none(), st.none(), values)


@st.composite
def substrings(draw: st.DrawFn, drafts: list[Draft]) -> str:
    """A piece of one of the tasks' titles or descriptions, in other case: a search that finds something."""
    source = draw(
        st.sampled_from([text for draft in drafts for text in (draft.title, draft.description) if text])
    )
    start = draw(st.integers(0, len(source) - 1))
    end = draw(st.integers(start + 1, len(source)))
    piece = source[start:end]
    return draw(st.sampled_from([piece, piece.upper(), piece.lower()]))


@st.composite
def queries(draw: st.DrawFn, drafts: list[Draft]) -> TaskFilter:
    overdue = draw(sometimes(st.booleans()))
    text = draw(sometimes(st.one_of(substrings(drafts), st.sampled_from(FRAGMENTS), texts)))
    return TaskFilter(
        completed=draw(sometimes(st.booleans())),
        priority=draw(sometimes(st.sampled_from(Priority))),
        tags=tuple(sorted(draw(sometimes(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))) or ())),
        text=None if text is None else fold(text),  # as ListTasks folds `q`
        due_before=draw(sometimes(st.sampled_from(BOUNDS))),
        due_after=draw(sometimes(st.sampled_from(BOUNDS))),
        overdue=overdue,
        now=NOW if overdue is not None else None,
        sort=Sort(draw(st.sampled_from(SortField)), draw(st.booleans())),
        limit=draw(st.integers(1, 7)),
    )


@st.composite
def examples(draw: st.DrawFn) -> tuple[list[Draft], list[Draft], TaskFilter]:
    """The owner's tasks, another owner's tasks, and a query over the owner's."""
    mine = draw(task_sets(2, 12))
    return mine, draw(task_sets(1, 3)), draw(queries(mine))


def _materialise(drafts: list[Draft], owner_id: str) -> list[Task]:
    """Tasks with ids that share a random prefix for this example and differ in the drawn suffix."""
    prefix = uuid.uuid4().int >> 64 << 64
    tasks = []
    for draft in drafts:
        task = Task.create(
            id=uuid.UUID(int=prefix | draft.suffix),
            owner_id=owner_id,
            draft=TaskDraft(
                title=draft.title,
                description=draft.description,
                priority=draft.priority,
                tags=draft.tags,
                due_at=draft.due_at,
                completed=draft.completed,
            ),
            now=draft.created_at,
        )
        tasks.append(task)
    return tasks


async def _store(uow_factory: UnitOfWorkFactory, owner_id: str, tasks: list[Task]) -> None:
    async with uow_factory(owner_id) as uow:
        for task in tasks:
            await uow.tasks.add(task)
        await uow.commit()


async def _find(uow_factory: UnitOfWorkFactory, owner_id: str, wanted: TaskFilter) -> list[Task]:
    async with uow_factory(owner_id) as uow:
        return await uow.tasks.find(wanted)


async def _walk_pages(
    uow_factory: UnitOfWorkFactory, owner_id: str, wanted: TaskFilter, bound: int
) -> list[Task]:
    """Every page of `wanted` from the start, each asked after the previous page's last task."""
    seen: list[Task] = []
    position: PagePosition | None = None
    for _ in range(bound):
        page = await _find(uow_factory, owner_id, replace(wanted, after=position))
        seen += page
        if len(page) < wanted.limit:
            return seen
        position = PagePosition.after(page[-1], wanted.sort)
    pytest.fail(f"paging did not end within {bound} pages")


def _ids(tasks: list[Task]) -> list[uuid.UUID]:
    return [task.id for task in tasks]


def _memory_factory(tasks: list[Task]) -> UnitOfWorkFactory:
    store = InMemoryStore()
    store.tasks.update({task.id: task for task in tasks})

    def memory(owner: str) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(owner, store)

    return memory


def _contract_answer(tasks: list[Task], owner_id: str, wanted: TaskFilter) -> list[uuid.UUID]:
    """The contract read literally, apart from any adapter: which of the owner's tasks, in which order."""

    def selected(task: Task) -> bool:
        due = task.due_at
        overdue = due is not None and wanted.now is not None and due < wanted.now and not task.completed
        text = wanted.text
        return (
            task.owner_id == owner_id
            and wanted.completed in (None, task.completed)
            and wanted.priority in (None, task.priority)
            and set(wanted.tags) <= set(task.tags)
            and (text is None or text in fold(task.title) or text in fold(task.description or ""))
            and (wanted.due_before is None or (due is not None and due < wanted.due_before))
            and (wanted.due_after is None or (due is not None and due > wanted.due_after))
            and wanted.overdue in (None, overdue)
        )

    def key(task: Task) -> Any:
        field = wanted.sort.field
        if field is SortField.CREATED_AT:
            return task.created_at
        if field is SortField.DUE_AT:
            return task.due_at
        if field is SortField.PRIORITY:
            return {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2}[task.priority]
        if field is SortField.POSITION:
            return task.position.encode()  # compared byte by byte
        return task.title.casefold()

    chosen = [task for task in tasks if selected(task)]
    with_value = sorted(
        (task for task in chosen if key(task) is not None),
        key=lambda task: (key(task), task.id.int),
        reverse=wanted.sort.descending,
    )
    without = sorted(
        (task for task in chosen if key(task) is None),
        key=lambda task: task.id.int,
        reverse=wanted.sort.descending,
    )
    return _ids(with_value + without)


def _literal_search(titles: list[str], q: str) -> tuple[list[Draft], list[Draft], TaskFilter]:
    """An example that only a search taking `q` literally (and case-folded) gets right."""
    mine = [
        Draft(n, title, None, Priority.MEDIUM, (), None, T0, completed=False)
        for n, title in enumerate(titles)
    ]
    return mine, mine[:1], TaskFilter(text=fold(q), sort=Sort(SortField.TITLE, descending=False), limit=1)


@pytest.mark.parametrize("uow_factory", BACKENDS, indirect=True)
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=examples())
@example(example=_literal_search(["a_b", "aXb", "ab"], "a_"))
@example(example=_literal_search(["100% done", "100 done", "1000 done"], "0% "))
@example(example=_literal_search(["back\\slash", "backslash", "back/slash"], "k\\s"))
@example(example=_literal_search(["Straße", "STRASSE", "strase", "ß"], "SS"))
async def test_the_sql_adapter_lists_and_pages_exactly_like_the_in_memory_reference(
    uow_factory: UnitOfWorkFactory, example: tuple[list[Draft], list[Draft], TaskFilter]
) -> None:
    mine, theirs, wanted = example
    owner, other = new_owner(), new_owner()
    my_tasks, their_tasks = _materialise(mine, owner), _materialise(theirs, other)
    everything = my_tasks + their_tasks
    memory = _memory_factory(everything)
    await _store(uow_factory, owner, my_tasks)
    await _store(uow_factory, other, their_tasks)
    unpaged = replace(wanted, limit=UNPAGED)
    bound = len(my_tasks) + 2

    expected = _ids(await _find(memory, owner, unpaged))
    listed = _ids(await _find(uow_factory, owner, unpaged))
    paged = _ids(await _walk_pages(uow_factory, owner, wanted, bound))
    paged_in_memory = _ids(await _walk_pages(memory, owner, wanted, bound))
    event(f"matches: {'none' if not expected else 'one page' if len(expected) <= wanted.limit else 'pages'}")

    assert expected == _contract_answer(everything, owner, wanted)
    assert listed == expected
    assert paged == expected
    assert paged_in_memory == expected


@pytest.mark.parametrize(
    "uow_factory",
    [
        pytest.param("memory", id="memory"),
        pytest.param(
            *BACKENDS[0].values,
            id=BACKENDS[0].id,
        ),
        *BACKENDS[1:],
    ],
    indirect=True,
)
@pytest.mark.parametrize(
    "offset", [timedelta(hours=-5), timedelta(hours=2)], ids=["behind-utc", "ahead-of-utc"]
)
async def test_due_bounds_given_in_another_offset_select_by_the_instant_they_name(
    uow_factory: UnitOfWorkFactory, offset: timedelta
) -> None:
    owner = new_owner()
    task = a_task(owner, due_at=T0)  # 09:00 UTC
    await _store(uow_factory, owner, [task])
    zone = timezone(offset)
    before = (T0 + timedelta(minutes=30)).astimezone(zone)  # 09:30 UTC, in the other offset
    after = (T0 - timedelta(minutes=30)).astimezone(zone)  # 08:30 UTC, in the other offset

    due_before = _ids(await _find(uow_factory, owner, TaskFilter(due_before=before)))
    due_after = _ids(await _find(uow_factory, owner, TaskFilter(due_after=after)))

    assert due_before == [task.id]
    assert due_after == [task.id]
