"""Behind a transaction-mode PgBouncer (Neon's pooled endpoint), the service works under load.

The pooler is real (each transaction may get another server connection), the failure the pooler
settings prevent really happens without them, and many parallel requests over a small pool all
succeed with them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import Integer, text

from adapters.sqlmodel.database import Database, Transaction
from adapters.sqlmodel.setup import PoolOptions, create_database
from adapters.sqlmodel.statements import Statement
from entrypoints.http.app import create_app
from tests.support.app import auth, running, test_settings
from tests.support.builders import new_owner
from tests.support.pgbouncer import POOL_SIZE, PgBouncer

pytestmark = pytest.mark.postgres

TASKS = "/api/v1/tasks"
_SERVER_PID = Statement(text("SELECT pg_backend_pid() AS pid").columns(pid=Integer))
_PLUS_ONE = Statement(text("SELECT CAST(:n AS integer) + 1 AS m").columns(m=Integer))
# One client connection each: two transactions in a row of one of them use the same client connection.
_ONE_CONNECTION = PoolOptions(size=1, max_overflow=0)


async def _server_pid(transaction: Transaction[Any]) -> int:
    """The PostgreSQL backend serving this transaction; the same statement text every time."""
    row = await transaction.fetch_one(_SERVER_PID)
    assert row is not None
    return int(row["pid"])


async def _committed_server_pid(database: Database[Any]) -> int:
    transaction = await database.begin(new_owner())
    try:
        pid = await _server_pid(transaction)
        await transaction.commit()
    finally:
        await database.end(transaction)
    return pid


@pytest.fixture
async def pooled(pgbouncer_url: str) -> AsyncIterator[tuple[Database[Any], Database[Any]]]:
    mine = create_database(pgbouncer_url, _ONE_CONNECTION, pooler="transaction")
    other = create_database(pgbouncer_url, _ONE_CONNECTION, pooler="transaction")
    yield mine, other
    await mine.close()
    await other.close()


@pytest.fixture
async def unprepared(pgbouncer_url: str) -> AsyncIterator[tuple[Database[Any], Database[Any]]]:
    """The database as it is built for a direct connection: asyncpg's statement cache on."""
    mine = create_database(pgbouncer_url, _ONE_CONNECTION, pooler="none")
    other = create_database(pgbouncer_url, _ONE_CONNECTION, pooler="none")
    yield mine, other
    await mine.close()
    await other.close()


def test_the_pooler_runs_in_transaction_mode_with_a_pool_of_five(pgbouncer: PgBouncer) -> None:
    config = {row["key"]: row["value"] for row in pgbouncer.show("CONFIG")}

    assert config["pool_mode"] == "transaction"
    assert config["default_pool_size"] == str(POOL_SIZE)
    assert int(config["max_client_conn"]) >= 200


async def test_two_transactions_on_one_connection_can_land_on_different_server_connections(
    pooled: tuple[Database[Any], Database[Any]],
) -> None:
    mine, other = pooled

    first = await _committed_server_pid(mine)
    # PgBouncer hands the server connection just released to the next transaction (LIFO);
    # `other` keeps it in an open transaction, so `mine` must be given another one.
    holding = await other.begin(new_owner())
    try:
        held = await _server_pid(holding)
        second = await _committed_server_pid(mine)
    finally:
        await other.end(holding)

    assert held == first
    assert second != first


async def test_without_the_pooler_settings_a_cached_prepared_statement_is_missing_on_the_next_server(
    unprepared: tuple[Database[Any], Database[Any]],
) -> None:
    """The failure Neon users meet (asyncpg #1058): the control for the test above."""
    mine, other = unprepared

    await _committed_server_pid(mine)  # prepared, and cached, on the first server connection
    holding = await other.begin(new_owner())  # holds that server connection in an open transaction
    try:
        with pytest.raises(asyncpg.PostgresError) as raised:
            await _committed_server_pid(mine)  # the cached statements' names, sent to another server
    finally:
        await other.end(holding)

    assert "prepared statement" in str(raised.value)
    assert "does not exist" in str(raised.value)


async def _concurrent_transactions(database: Database[Any], count: int) -> list[BaseException]:
    """`count` short transactions at once over the database's pool; what each one raised, if anything."""

    async def one(n: int) -> None:
        transaction = await database.begin(new_owner())
        try:
            await _server_pid(transaction)
            assert await transaction.fetch(_PLUS_ONE, {"n": n}) == [{"m": n + 1}]
            await transaction.commit()
        finally:
            await database.end(transaction)

    results = await asyncio.gather(*(one(n) for n in range(count)), return_exceptions=True)
    return [result for result in results if isinstance(result, BaseException)]


async def test_two_hundred_concurrent_transactions_through_the_pooler_all_succeed(pgbouncer_url: str) -> None:
    database = create_database(pgbouncer_url, pooler="transaction")
    try:
        assert await _concurrent_transactions(database, 200) == []
    finally:
        await database.close()


async def _mixed_requests(client: httpx.AsyncClient, count: int) -> tuple[Counter[str], list[str]]:
    """`count` requests at once, a quarter each of create, list, get and patch, from five users."""
    owners = [auth(new_owner()) for _ in range(5)]
    seeded: list[tuple[dict[str, str], str]] = []
    for n in range(count // 4 + 1):
        headers = owners[n % len(owners)]
        created = await client.post(TASKS, json={"title": f"seed {n}"}, headers=headers)
        assert created.status_code == 201, created.text
        seeded.append((headers, created.json()["id"]))

    async def one(n: int) -> tuple[str, httpx.Response, Any]:
        headers, task_id = seeded[n // 4]
        kind = ("create", "list", "get", "patch")[n % 4]
        if kind == "create":
            return kind, await client.post(TASKS, json={"title": f"parallel {n}"}, headers=headers), None
        if kind == "list":
            return kind, await client.get(TASKS, params={"limit": 50}, headers=headers), None
        if kind == "get":
            return kind, await client.get(f"{TASKS}/{task_id}", headers=headers), task_id
        title = f"patched {n}"
        return kind, await client.patch(f"{TASKS}/{task_id}", json={"title": title}, headers=headers), title

    answers = await asyncio.gather(*(one(n) for n in range(count)))

    statuses = Counter(f"{kind} {response.status_code}" for kind, response, _ in answers)
    wrong: list[str] = []
    for kind, response, expected in answers:
        body = response.json() if response.headers.get("content-type", "").endswith("json") else None
        if kind == "get" and body is not None and body.get("id") != expected:
            wrong.append(f"get returned {body.get('id')} for {expected}")
        if kind == "patch" and body is not None and body.get("title") != expected:
            wrong.append(f"patch returned title {body.get('title')!r} for {expected!r}")
    return statuses, wrong


async def test_fifty_parallel_requests_over_a_pool_of_five_all_succeed(pgbouncer_url: str) -> None:
    settings = test_settings(
        pgbouncer_url, database_pooler="transaction", database_pool_size=5, database_max_overflow=0
    )

    async with running(create_app(settings)) as client:
        rounds = [await _mixed_requests(client, 50) for _ in range(3)]

    for statuses, wrong in rounds:
        assert statuses == {"create 201": 13, "list 200": 13, "get 200": 12, "patch 200": 12}
        assert wrong == []
