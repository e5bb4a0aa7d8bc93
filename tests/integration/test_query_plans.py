"""On PostgreSQL with a few thousand tasks for many owners, the planner serves an owner's default
list and a deep keyset page of it from ix_tasks_owner_recent by itself: no sequential scan of tasks,
no sort of the whole table, and a deep page reads no more rows than the first.

So too the manual order (issue 13): a list's top level and the Inbox's from ix_tasks_owner_place, a
task's subtasks from ix_tasks_owner_parent, each page read in order from where the last one ended;
and the owner's lists with their counts of open tasks from ix_lists_owner_order, each count one probe
of ix_tasks_owner_place. Without those two tasks indexes the same statements sort: the data is
enough for the indexes to decide the plan.

The SQL checked is the SQL the repository issues: `find` runs under a listener that captures the
statement and its parameters, which are then EXPLAINed on a direct connection as the superuser
(row-level security does not apply to it, so the plan is the statement's own).
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterator, Sequence, Sized
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.tables import lists_table, tasks_table
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from application.queries import PagePosition, Place, Sibling, Sort, SortField, TaskFilter
from application.summaries import ListSummary
from domain.task import fold, position_at
from tests.support.databases import asyncpg_dsn, off_loop

pytestmark = pytest.mark.postgres

OWNERS = [f"plan-owner-{n:02d}" for n in range(20)]
TARGET = OWNERS[0]
TARGET_TASKS = 1_800
OTHER_TASKS = 200  # each of the other 19 owners
DEEP_ROW = 1_500
PAGE = 21  # a page of 20 and the one row that tells whether another follows
START = datetime(2025, 1, 1, tzinfo=UTC)
RECENT_INDEX = "ix_tasks_owner_recent"
PLACE_INDEX = "ix_tasks_owner_place"
PARENT_INDEX = "ix_tasks_owner_parent"
LISTS_INDEX = "ix_lists_owner_order"
# Each owner's lists, the last few archived; and where each owner's tasks are, after the first (the
# parent of the subtasks, at the top of the big list): shares of the rest.
LISTS_PER_OWNER = 40
ARCHIVED_PER_OWNER = 5
IN_BIG_LIST, IN_INBOX, SUBTASKS = 0.35, 0.25, 0.15  # the rest: at the top of the other open lists
DEEP_PLACE_ROW = 150


def _list_ids(owner: str) -> list[uuid.UUID]:
    """The owner's lists, the first being the big one."""
    return [uuid.uuid5(uuid.NAMESPACE_URL, f"plans/{owner}/list/{n}") for n in range(LISTS_PER_OWNER)]


def _list_rows(seed: int) -> list[dict[str, Any]]:
    """Each owner's lists, in a manual order unlike their creation order."""
    rng = random.Random(seed)
    rows = []
    for owner in OWNERS:
        for n, list_id in enumerate(_list_ids(owner)):
            created_at = START + timedelta(minutes=n)
            rows.append(
                {
                    "id": list_id,
                    "user_id": owner,
                    "name": f"List {n}",
                    "color": None,
                    "position": position_at(START + timedelta(seconds=rng.randrange(10**7))),
                    "archived": n >= LISTS_PER_OWNER - ARCHIVED_PER_OWNER,
                    "created_at": created_at,
                    "updated_at": created_at,
                    "version": 1,
                }
            )
    return rows


def _place(
    rng: random.Random, owner: str, parent: uuid.UUID | None
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """Where one of the owner's tasks is: (its list, its parent)."""
    lists = _list_ids(owner)
    if parent is None:  # the owner's first task: the parent of the subtasks, in the big list
        return lists[0], None
    draw = rng.random()
    if draw < IN_BIG_LIST:
        return lists[0], None
    if draw < IN_BIG_LIST + IN_INBOX:
        return None, None
    if draw < IN_BIG_LIST + IN_INBOX + SUBTASKS:
        return lists[0], parent
    return rng.choice(lists[1 : LISTS_PER_OWNER - ARCHIVED_PER_OWNER]), None


def _rows(seed: int) -> list[dict[str, Any]]:
    """Tasks as many users make them: created over a year, interleaved, time-ordered ids; in lists,
    the Inbox and under a parent, in a manual order unlike their creation order."""
    rng = random.Random(seed)
    counts = {owner: TARGET_TASKS if owner == TARGET else OTHER_TASKS for owner in OWNERS}
    moments = sorted(
        (START + timedelta(seconds=rng.randrange(365 * 24 * 3600), microseconds=rng.randrange(10**6)), owner)
        for owner, count in counts.items()
        for _ in range(count)
    )
    parents: dict[str, uuid.UUID] = {}
    rows = []
    for n, (created_at, owner) in enumerate(moments):
        title = (
            rng.choice(["Buy milk", "Call Straße office", "Pay rent", "ÉCOLE forms", "Review PR"]) + f" {n}"
        )
        description = rng.choice([None, "", "Some notes", "50% off, bring the bag"])
        completed = rng.random() < 0.4
        task_id = uuid.UUID(int=(int(created_at.timestamp() * 1000) << 80) | rng.getrandbits(80))
        list_id, parent_id = _place(rng, owner, parents.get(owner))
        parents.setdefault(owner, task_id)  # rows go in creation order: the parent before its subtasks
        rows.append(
            {
                "id": task_id,
                "user_id": owner,
                "title": title,
                "description": description,
                "priority": rng.randrange(3),
                "tags": rng.sample(["home", "work", "urgent", "errand"], rng.randrange(3)),
                "due_at": rng.choice([None, created_at + timedelta(days=rng.randrange(1, 60))]),
                "recurrence": None,
                "completed": completed,
                "created_at": created_at,
                "updated_at": created_at,
                "completed_at": created_at + timedelta(hours=1) if completed else None,
                "version": 1,
                "title_key": fold(title),
                "search_key": fold(f"{title}\n{description or ''}"),
                "list_id": list_id,
                "parent_id": parent_id,
                "position": position_at(START + timedelta(seconds=rng.randrange(365 * 24 * 3600))),
            }
        )
    return rows


async def _seed(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            privileged = await connection.scalar(
                text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
            assert privileged, "the plan tests seed every owner's rows at once: they need a superuser"
            await connection.execute(insert(lists_table), _list_rows(seed=7))
            await connection.execute(insert(tasks_table), _rows(seed=5))
            await connection.execute(text("ANALYZE tasks"))
        # As autovacuum leaves a table whose rows seldom change (lists): its pages all visible, so
        # the lists index can answer without the table.
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE lists"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def seeded(postgres_url: str) -> str:
    off_loop(asyncio.run, _seed(postgres_url))
    return postgres_url


@contextmanager
def capturing(database: Database[Any], table: str = "tasks") -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs from `table` the database runs, each with its parameters as the driver gets them."""
    captured: list[tuple[str, Any]] = []

    def record(statement: str, parameters: Sequence[Any]) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            captured.append((statement, parameters))

    database.listeners.append(record)
    try:
        yield captured
    finally:
        database.listeners.remove(record)


async def _issued(url: str, wanted: TaskFilter) -> tuple[str, Any]:
    """The one statement the repository issues for `wanted`, with its parameters."""
    database = create_database(url)
    try:
        with capturing(database) as captured:
            async with SqlUnitOfWork(TARGET, database=database) as uow:
                found = await uow.tasks.find(wanted)
    finally:
        await database.close()
    assert len(found) == wanted.limit
    assert len(captured) == 1, captured
    return captured[0]


async def _explain(url: str, statement: str, parameters: Any, *, analyze: bool = False) -> dict[str, Any]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
        answer = await connection.fetchval(f"EXPLAIN ({options}) {statement}", *parameters)
    finally:
        await connection.close()
    plan: dict[str, Any] = json.loads(answer)[0]["Plan"]
    return plan


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _scans_of_the_recent_index(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        node
        for node in _nodes(plan)
        if node["Node Type"] in ("Index Scan", "Index Only Scan") and node.get("Index Name") == RECENT_INDEX
    ]


async def _deep_position(url: str) -> PagePosition:
    """The owner's task at row DEEP_ROW of the default order (newest first, ties by id)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await connection.fetchrow(
            "SELECT created_at, id FROM tasks WHERE user_id = $1"
            " ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
            TARGET,
            DEEP_ROW - 1,
        )
    finally:
        await connection.close()
    assert row is not None
    return PagePosition(row["created_at"], row["id"])


async def test_the_default_list_of_one_owner_is_an_index_scan_of_its_recent_index(seeded: str) -> None:
    statement, parameters = await _issued(seeded, TaskFilter(limit=PAGE))

    plan = await _explain(seeded, statement, parameters)

    node_types = [node["Node Type"] for node in _nodes(plan)]
    assert _scans_of_the_recent_index(plan), node_types
    assert "Seq Scan" not in node_types
    assert not any("Sort" in node_type for node_type in node_types), node_types


async def test_a_deep_keyset_page_is_an_index_scan_that_starts_at_its_position(seeded: str) -> None:
    position = await _deep_position(seeded)
    statement, parameters = await _issued(seeded, TaskFilter(after=position, limit=PAGE))

    plan = await _explain(seeded, statement, parameters)
    executed = await _explain(seeded, statement, parameters, analyze=True)

    node_types = [node["Node Type"] for node in _nodes(plan)]
    scans = _scans_of_the_recent_index(plan)
    assert scans, node_types
    assert "Seq Scan" not in node_types
    assert not any("Sort" in node_type for node_type in node_types), node_types
    assert "created_at" in scans[0]["Index Cond"], scans[0]  # the keyset bound is where the scan starts
    executed_scan = _scans_of_the_recent_index(executed)[0]
    assert executed_scan["Actual Rows"] <= PAGE, executed_scan
    assert executed_scan.get("Rows Removed by Filter", 0) == 0, executed_scan


async def test_a_deep_page_reads_no_more_rows_than_the_first_page(seeded: str) -> None:
    first_statement, first_parameters = await _issued(seeded, TaskFilter(limit=PAGE))
    deep_statement, deep_parameters = await _issued(
        seeded, TaskFilter(after=await _deep_position(seeded), limit=PAGE)
    )

    first = await _explain(seeded, first_statement, first_parameters, analyze=True)
    deep = await _explain(seeded, deep_statement, deep_parameters, analyze=True)

    assert (
        _scans_of_the_recent_index(deep)[0]["Actual Rows"]
        == _scans_of_the_recent_index(first)[0]["Actual Rows"]
    )


# --- Manual order (issue 13): a list's or the Inbox's top level, a task's subtasks, the lists ---

BY_POSITION = Sort(SortField.POSITION, descending=False)
BIG_LIST = _list_ids(TARGET)[0]
GROUPS = ["a list's top level", "the Inbox's top level", "a task's subtasks"]


@dataclass(frozen=True)
class Group:
    """A sibling group of the target's: the listing of it, its place, the indexes that serve it in
    order, and the SQL condition that selects it."""

    listing: TaskFilter
    place: Place
    indexes: frozenset[str]
    where: str
    arguments: tuple[Any, ...]


async def _admin_fetch(url: str, query: str, *arguments: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return list(await connection.fetch(query, *arguments))
    finally:
        await connection.close()


async def _group(url: str, name: str) -> Group:
    rows = await _admin_fetch(
        url, "SELECT DISTINCT parent_id FROM tasks WHERE user_id = $1 AND parent_id IS NOT NULL", TARGET
    )
    assert len(rows) == 1, rows  # the target's one task with subtasks
    parent: uuid.UUID = rows[0]["parent_id"]
    groups = {
        "a list's top level": Group(
            TaskFilter(list_id=BIG_LIST, parent_id=None, sort=BY_POSITION, limit=PAGE),
            Place(BIG_LIST, None),
            frozenset({PLACE_INDEX}),
            "list_id = $2 AND parent_id IS NULL",
            (BIG_LIST,),
        ),
        "the Inbox's top level": Group(
            TaskFilter(list_id=None, parent_id=None, sort=BY_POSITION, limit=PAGE),
            Place(None, None),
            frozenset({PLACE_INDEX}),
            "list_id IS NULL AND parent_id IS NULL",
            (),
        ),
        "a task's subtasks": Group(
            TaskFilter(parent_id=parent, sort=BY_POSITION, limit=PAGE),
            Place(BIG_LIST, parent),
            frozenset({PARENT_INDEX, PLACE_INDEX}),  # the listing names no list; the siblings do
            "parent_id = $2",
            (parent,),
        ),
    }
    return groups[name]


async def _deep_sibling(url: str, group: Group) -> Sibling:
    """The target's task at row DEEP_PLACE_ROW of the group's manual order (position, id)."""
    rows = await _admin_fetch(
        url,
        f"SELECT position, id FROM tasks WHERE user_id = $1 AND {group.where} ORDER BY position, id",
        TARGET,
        *group.arguments,
    )
    assert len(rows) > DEEP_PLACE_ROW + PAGE, len(rows)  # a deep page, and a full one after it
    row = rows[DEEP_PLACE_ROW - 1]
    return Sibling(row["position"], row["id"])


async def _captured(
    url: str, table: str, act: Callable[[SqlUnitOfWork], Awaitable[Sized]]
) -> tuple[str, Any]:
    """The one statement on `table` that `act` issues in a unit of work of the target's, which
    must find something."""
    database = create_database(url)
    try:
        with capturing(database, table) as captured:
            async with SqlUnitOfWork(TARGET, database=database) as uow:
                found = await act(uow)
    finally:
        await database.close()
    assert len(found) > 0
    assert len(captured) == 1, captured
    return captured[0]


async def _explain_without(
    url: str, indexes: Sequence[str], statement: str, parameters: Any
) -> dict[str, Any]:
    """The plan were these indexes not there: dropped in a transaction that is rolled back."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        transaction = connection.transaction()
        await transaction.start()
        try:
            for index in indexes:
                await connection.execute(f"DROP INDEX {index}")
            answer = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *parameters)
        finally:
            await transaction.rollback()
    finally:
        await connection.close()
    plan: dict[str, Any] = json.loads(answer)[0]["Plan"]
    return plan


def _read_in_order(plan: dict[str, Any], indexes: Collection[str]) -> dict[str, Any]:
    """The one scan of one of `indexes` the plan reads its rows in order from: no sort, no
    sequential scan. The plan is in the message of a failure."""
    node_types = [node["Node Type"] for node in _nodes(plan)]
    scans = [
        node
        for node in _nodes(plan)
        if node["Node Type"] in ("Index Scan", "Index Only Scan") and node.get("Index Name") in indexes
    ]
    shown = json.dumps(plan, indent=1)
    assert "Seq Scan" not in node_types, shown
    assert not any("Sort" in node_type for node_type in node_types), shown
    assert len(scans) == 1, shown
    return scans[0]


def _sorts(plan: dict[str, Any]) -> bool:
    return any("Sort" in node["Node Type"] for node in _nodes(plan))


@pytest.mark.parametrize("name", GROUPS)
async def test_the_first_page_of_a_sibling_group_in_manual_order_is_read_in_order_from_an_index(
    seeded: str, name: str
) -> None:
    group = await _group(seeded, name)
    statement, parameters = await _issued(seeded, group.listing)

    plan = await _explain(seeded, statement, parameters)
    executed = await _explain(seeded, statement, parameters, analyze=True)

    _read_in_order(plan, group.indexes)
    executed_scan = _read_in_order(executed, group.indexes)
    assert executed_scan["Actual Rows"] == PAGE, executed_scan  # the page's rows and no others
    assert executed_scan.get("Rows Removed by Filter", 0) == 0, executed_scan


@pytest.mark.parametrize("name", GROUPS)
async def test_a_deep_keyset_page_of_a_sibling_group_starts_at_its_position_in_the_index(
    seeded: str, name: str
) -> None:
    group = await _group(seeded, name)
    deep = await _deep_sibling(seeded, group)
    statement, parameters = await _issued(
        seeded, replace(group.listing, after=PagePosition(deep.position, deep.id))
    )

    plan = await _explain(seeded, statement, parameters)
    executed = await _explain(seeded, statement, parameters, analyze=True)

    scan = _read_in_order(plan, group.indexes)
    assert "position" in scan["Index Cond"], scan  # the keyset bound is where the scan starts
    executed_scan = _read_in_order(executed, group.indexes)
    assert executed_scan["Actual Rows"] == PAGE, executed_scan
    assert executed_scan.get("Rows Removed by Filter", 0) == 0, executed_scan


@pytest.mark.parametrize("name", GROUPS)
async def test_a_moves_neighbours_and_a_groups_last_task_are_read_in_order_from_an_index(
    seeded: str, name: str
) -> None:
    """What placing a task reads (application/tasks/placing.py): the two siblings past a position,
    and the last sibling."""
    group = await _group(seeded, name)
    deep = await _deep_sibling(seeded, group)
    neighbours = await _captured(
        seeded, "tasks", lambda uow: uow.tasks.siblings(group.place, after=deep, limit=2)
    )
    last = await _captured(seeded, "tasks", lambda uow: uow.tasks.siblings(group.place, limit=1, last=True))

    for statement, parameters in (neighbours, last):
        executed = await _explain(seeded, statement, parameters, analyze=True)
        executed_scan = _read_in_order(executed, group.indexes)
        assert executed_scan["Actual Rows"] <= 2, executed_scan
        assert executed_scan.get("Rows Removed by Filter", 0) == 0, executed_scan


@pytest.mark.parametrize("name", GROUPS)
async def test_without_the_place_indexes_the_same_listing_would_sort(seeded: str, name: str) -> None:
    """The data is enough for the indexes to decide the plan: the tests above could fail."""
    group = await _group(seeded, name)
    statement, parameters = await _issued(seeded, group.listing)

    plan = await _explain_without(seeded, [PLACE_INDEX, PARENT_INDEX], statement, parameters)

    assert _sorts(plan), json.dumps(plan, indent=1)


async def _open_lists(uow: SqlUnitOfWork) -> list[ListSummary]:
    summaries = await uow.lists.summaries(archived=False)
    assert len(summaries) == LISTS_PER_OWNER - ARCHIVED_PER_OWNER
    assert sum(summary.open_tasks for summary in summaries) > 0
    return summaries


async def test_the_lists_with_their_counts_are_index_scans_without_a_sort(seeded: str) -> None:
    statement, parameters = await _captured(seeded, "lists", _open_lists)

    plan = await _explain(seeded, statement, parameters)
    executed = await _explain(seeded, statement, parameters, analyze=True)

    lists_scan = _read_in_order(plan, {LISTS_INDEX})
    assert "archived" in lists_scan["Index Cond"], lists_scan
    # Each list's count: a probe of the index on the tasks' places, by owner and list.
    counts = [
        node
        for node in _nodes(plan)
        if node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
        and node.get("Index Name") == PLACE_INDEX
    ]
    assert len(counts) == 1, json.dumps(plan, indent=1)
    assert "list_id" in counts[0]["Index Cond"], counts[0]
    executed_lists = _read_in_order(executed, {LISTS_INDEX})
    assert executed_lists["Actual Rows"] == LISTS_PER_OWNER - ARCHIVED_PER_OWNER, executed_lists
    assert executed_lists.get("Rows Removed by Filter", 0) == 0, executed_lists


async def test_without_the_lists_index_the_lists_would_be_scanned_and_sorted(seeded: str) -> None:
    """The data is enough for the index to decide the plan: the test above could fail."""
    statement, parameters = await _captured(seeded, "lists", _open_lists)

    plan = await _explain_without(seeded, [LISTS_INDEX], statement, parameters)

    node_types = [node["Node Type"] for node in _nodes(plan)]
    assert "Seq Scan" in node_types, node_types
    assert _sorts(plan), node_types
