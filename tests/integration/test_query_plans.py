"""On PostgreSQL with a few thousand tasks for many owners, the planner serves an owner's default
list and a deep keyset page of it from ix_tasks_owner_recent by itself: no sequential scan of tasks,
no sort of the whole table, and a deep page reads no more rows than the first.

The SQL checked is the SQL the repository issues: `find` runs under a listener that captures the
statement and its parameters, which are then EXPLAINed on a direct connection as the superuser
(row-level security does not apply to it, so the plan is the statement's own).
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.tables import tasks_table
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from application.queries import PagePosition, TaskFilter
from domain.task import fold
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


def _rows(seed: int) -> list[dict[str, Any]]:
    """Tasks as many users make them: created over a year, interleaved, time-ordered ids."""
    rng = random.Random(seed)
    counts = {owner: TARGET_TASKS if owner == TARGET else OTHER_TASKS for owner in OWNERS}
    moments = sorted(
        (START + timedelta(seconds=rng.randrange(365 * 24 * 3600), microseconds=rng.randrange(10**6)), owner)
        for owner, count in counts.items()
        for _ in range(count)
    )
    rows = []
    for n, (created_at, owner) in enumerate(moments):
        title = (
            rng.choice(["Buy milk", "Call Straße office", "Pay rent", "ÉCOLE forms", "Review PR"]) + f" {n}"
        )
        description = rng.choice([None, "", "Some notes", "50% off, bring the bag"])
        completed = rng.random() < 0.4
        rows.append(
            {
                "id": uuid.UUID(int=(int(created_at.timestamp() * 1000) << 80) | rng.getrandbits(80)),
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
            await connection.execute(insert(tasks_table), _rows(seed=5))
            await connection.execute(text("ANALYZE tasks"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def seeded(postgres_url: str) -> str:
    off_loop(asyncio.run, _seed(postgres_url))
    return postgres_url


@contextmanager
def capturing(database: Database[Any]) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs on tasks the database runs, each with its parameters as the driver gets them."""
    captured: list[tuple[str, Any]] = []

    def record(statement: str, parameters: Sequence[Any]) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM tasks" in statement:
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
