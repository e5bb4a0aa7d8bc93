"""Each request costs a fixed, small number of statements and round trips to the database: an N+1,
a lazy load or a needless transaction statement fails here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from adapters.sqlmodel.database import Database
from entrypoints.http.app import create_app
from tests.conftest import BACKENDS
from tests.support.app import auth, running, test_settings
from tests.support.builders import new_owner
from tests.support.databases import backend

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class StatementLog:
    """Every statement a request sends, in order. `verbs` leaves out transaction control and the
    transaction's opening (BEGIN with the set_config of the owner for row-level security and the
    timeouts) on PostgreSQL; `round_trips` names them all, the opening as PRELUDE."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def record(self, statement: str, _arguments: Any) -> None:
        self.sent.append(statement)

    @property
    def round_trips(self) -> list[str]:
        return [
            "PRELUDE" if "set_config('app.user_id'" in sql else sql.split(None, 1)[0].upper()
            for sql in self.sent
        ]

    @property
    def preludes(self) -> int:
        return self.round_trips.count("PRELUDE")

    @property
    def verbs(self) -> list[str]:
        return [trip for trip in self.round_trips if trip != "PRELUDE" and trip not in _TRANSACTION_CONTROL]


def _trip(sql: str) -> str:
    return "PRELUDE" if "set_config('app.user_id'" in sql else sql.split(None, 1)[0].upper()


@contextmanager
def counting(database: Database[Any]) -> Iterator[StatementLog]:
    log = StatementLog()
    database.listeners.append(log.record)
    try:
        yield log
    finally:
        database.listeners.remove(log.record)


def in_transaction(database: Database[Any], *trips: str, end: str) -> list[str]:
    """The round trips of one unit of work: on PostgreSQL, BEGIN and the prelude open it in one
    message and `end` closes it; on SQLite a unit of work that only reads sends nothing but its
    reads, and one that writes opens its transaction in the same call as its first write."""
    if database.name == "postgresql":
        return ["PRELUDE", *trips, end]
    return [*trips, end] if end == "COMMIT" else list(trips)


@pytest.fixture(params=BACKENDS)
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[httpx.AsyncClient, Database[Any]]]:
    database = backend(request, request.param)
    app = create_app(test_settings(database.url, database_pooler=database.pooler))
    async with running(app) as client:
        yield client, app.state.container.adapters.database()


@pytest.fixture
async def owner_with_tasks(
    served: tuple[httpx.AsyncClient, Database[Any]],
) -> tuple[dict[str, str], list[str]]:
    client, _ = served
    headers = auth(new_owner())
    ids = []
    for n in range(25):
        response = await client.post(
            "/api/v1/tasks", json={"title": f"task {n}", "tags": ["a", "b"]}, headers=headers
        )
        ids.append(response.json()["id"])
    return headers, ids


async def test_creating_a_task_issues_one_insert(served: tuple[httpx.AsyncClient, Database[Any]]) -> None:
    client, database = served
    headers = auth(new_owner())

    with counting(database) as log:
        response = await client.post("/api/v1/tasks", json={"title": "one insert"}, headers=headers)

    assert response.status_code == 201
    # The task's entry in the change log goes with it: in the same statement on PostgreSQL (WITHs
    # around the INSERT on a direct connection, its RETURNING behind a pooler), in the same call to
    # the writer on SQLite.
    if database.name == "postgresql":
        inserts = ["INSERT"] if database.pooled else ["WITH"]
    else:
        inserts = ["INSERT", "INSERT"]
    assert log.verbs == inserts
    assert log.preludes == (1 if database.name == "postgresql" else 0)
    assert log.round_trips == in_transaction(database, *inserts, end="COMMIT")


async def test_fetching_one_task_issues_one_select(
    served: tuple[httpx.AsyncClient, Database[Any]], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, database = served
    headers, ids = owner_with_tasks

    with counting(database) as log:
        response = await client.get(f"/api/v1/tasks/{ids[0]}", headers=headers)

    assert response.status_code == 200
    assert log.verbs == ["SELECT"]
    assert log.round_trips == in_transaction(database, "SELECT", end="ROLLBACK")


async def test_listing_a_full_page_issues_one_select(
    served: tuple[httpx.AsyncClient, Database[Any]], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, database = served
    headers, _ = owner_with_tasks

    with counting(database) as log:
        first = await client.get("/api/v1/tasks", params={"limit": 20}, headers=headers)
        second = await client.get(
            "/api/v1/tasks", params={"limit": 20, "cursor": first.json()["next_cursor"]}, headers=headers
        )

    assert len(first.json()["items"]) == 20
    assert len(second.json()["items"]) == 5
    assert log.verbs == ["SELECT", "SELECT"]
    assert log.round_trips == 2 * in_transaction(database, "SELECT", end="ROLLBACK")


async def test_changing_a_task_issues_one_select_and_one_update(
    served: tuple[httpx.AsyncClient, Database[Any]], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, database = served
    headers, ids = owner_with_tasks

    with counting(database) as log:
        response = await client.patch(f"/api/v1/tasks/{ids[0]}", json={"title": "renamed"}, headers=headers)

    assert response.status_code == 200
    assert log.verbs == ["SELECT", "UPDATE"]
    assert log.round_trips == in_transaction(database, "SELECT", "UPDATE", end="COMMIT")


async def test_deleting_a_task_issues_one_delete(
    served: tuple[httpx.AsyncClient, Database[Any]], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, database = served
    headers, ids = owner_with_tasks

    with counting(database) as log:
        response = await client.delete(f"/api/v1/tasks/{ids[0]}", headers=headers)

    assert response.status_code == 204
    assert log.verbs == ["DELETE"]
    assert log.round_trips == in_transaction(database, "DELETE", end="COMMIT")


async def test_stats_issue_one_select(
    served: tuple[httpx.AsyncClient, Database[Any]], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, database = served
    headers, _ = owner_with_tasks

    with counting(database) as log:
        response = await client.get("/api/v1/tasks/stats", headers=headers)

    assert response.json()["total"] == 25
    assert log.verbs == ["SELECT"]
    assert log.round_trips == in_transaction(database, "SELECT", end="ROLLBACK")


async def test_tag_counts_issue_one_select(
    served: tuple[httpx.AsyncClient, Database[Any]], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, database = served
    headers, _ = owner_with_tasks

    with counting(database) as log:
        response = await client.get("/api/v1/tags", headers=headers)

    assert response.json() == [{"name": "a", "count": 25}, {"name": "b", "count": 25}]
    assert log.verbs == ["SELECT"]
    assert log.round_trips == in_transaction(database, "SELECT", end="ROLLBACK")


async def test_bulk_completing_ten_tasks_issues_one_select_and_per_task_an_update_and_one_for_its_subtasks(
    served: tuple[httpx.AsyncClient, Database[Any]], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, database = served
    headers, ids = owner_with_tasks

    with counting(database) as log:
        response = await client.post(
            "/api/v1/tasks/bulk", json={"action": "complete", "ids": ids[:10]}, headers=headers
        )

    assert response.json() == {"affected": 10}
    # WITH: the recursive UPDATE that completes the task's open subtasks (it has none here).
    assert log.verbs == ["SELECT"] + ["UPDATE", "WITH"] * 10
    assert log.round_trips == in_transaction(database, "SELECT", *["UPDATE", "WITH"] * 10, end="COMMIT")


async def test_bulk_deleting_ten_tasks_issues_one_select_and_one_delete(
    served: tuple[httpx.AsyncClient, Database[Any]], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, database = served
    headers, ids = owner_with_tasks

    with counting(database) as log:
        response = await client.post(
            "/api/v1/tasks/bulk", json={"action": "delete", "ids": ids[:10]}, headers=headers
        )

    assert response.json() == {"affected": 10}
    # The SELECT locks the tasks named and finds those missing: a named subtask of a named task is
    # gone with it by the time the DELETE reaches it (SQLite cascades row by row).
    assert log.verbs == ["SELECT", "DELETE"]
    assert log.round_trips == in_transaction(database, "SELECT", "DELETE", end="COMMIT")
