"""Each request costs a fixed, small number of statements: an N+1 or a lazy load fails here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.http.app import create_app
from tests.conftest import BACKENDS
from tests.support.app import auth, running, test_settings
from tests.support.builders import new_owner
from tests.support.databases import backend

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class StatementLog:
    """The statements a request runs, apart from transaction control and the transaction's
    opening set_config (owner for row-level security, timeouts) on PostgreSQL."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.preludes = 0

    def record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "set_config('app.user_id'" in statement:
            self.preludes += 1
        elif not statement.lstrip().upper().startswith(_TRANSACTION_CONTROL):
            self.statements.append(statement)

    @property
    def verbs(self) -> list[str]:
        return [statement.split(None, 1)[0].upper() for statement in self.statements]


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[StatementLog]:
    log = StatementLog()
    event.listen(engine.sync_engine, "before_cursor_execute", log.record)
    try:
        yield log
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", log.record)


@pytest.fixture(params=BACKENDS)
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    database = backend(request, request.param)
    app = create_app(test_settings(database.url, database_pooler=database.pooler))
    async with running(app) as client:
        yield client, app.state.container.adapters.engine()


@pytest.fixture
async def owner_with_tasks(served: tuple[httpx.AsyncClient, AsyncEngine]) -> tuple[dict[str, str], list[str]]:
    client, _ = served
    headers = auth(new_owner())
    ids = []
    for n in range(25):
        response = await client.post(
            "/api/v1/tasks", json={"title": f"task {n}", "tags": ["a", "b"]}, headers=headers
        )
        ids.append(response.json()["id"])
    return headers, ids


async def test_creating_a_task_issues_one_insert(served: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    client, engine = served
    headers = auth(new_owner())

    with counting(engine) as log:
        response = await client.post("/api/v1/tasks", json={"title": "one insert"}, headers=headers)

    assert response.status_code == 201
    assert log.verbs == ["INSERT"]
    assert log.preludes == (1 if engine.dialect.name == "postgresql" else 0)


async def test_fetching_one_task_issues_one_select(
    served: tuple[httpx.AsyncClient, AsyncEngine], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, engine = served
    headers, ids = owner_with_tasks

    with counting(engine) as log:
        response = await client.get(f"/api/v1/tasks/{ids[0]}", headers=headers)

    assert response.status_code == 200
    assert log.verbs == ["SELECT"]


async def test_listing_a_full_page_issues_one_select(
    served: tuple[httpx.AsyncClient, AsyncEngine], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, engine = served
    headers, _ = owner_with_tasks

    with counting(engine) as log:
        first = await client.get("/api/v1/tasks", params={"limit": 20}, headers=headers)
        second = await client.get(
            "/api/v1/tasks", params={"limit": 20, "cursor": first.json()["next_cursor"]}, headers=headers
        )

    assert len(first.json()["items"]) == 20
    assert len(second.json()["items"]) == 5
    assert log.verbs == ["SELECT", "SELECT"]


async def test_changing_a_task_issues_one_select_and_one_update(
    served: tuple[httpx.AsyncClient, AsyncEngine], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, engine = served
    headers, ids = owner_with_tasks

    with counting(engine) as log:
        response = await client.patch(f"/api/v1/tasks/{ids[0]}", json={"title": "renamed"}, headers=headers)

    assert response.status_code == 200
    assert log.verbs == ["SELECT", "UPDATE"]


async def test_deleting_a_task_issues_one_delete(
    served: tuple[httpx.AsyncClient, AsyncEngine], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, engine = served
    headers, ids = owner_with_tasks

    with counting(engine) as log:
        response = await client.delete(f"/api/v1/tasks/{ids[0]}", headers=headers)

    assert response.status_code == 204
    assert log.verbs == ["DELETE"]


async def test_stats_issue_one_select(
    served: tuple[httpx.AsyncClient, AsyncEngine], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, engine = served
    headers, _ = owner_with_tasks

    with counting(engine) as log:
        response = await client.get("/api/v1/tasks/stats", headers=headers)

    assert response.json()["total"] == 25
    assert log.verbs == ["SELECT"]


async def test_tag_counts_issue_one_select(
    served: tuple[httpx.AsyncClient, AsyncEngine], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, engine = served
    headers, _ = owner_with_tasks

    with counting(engine) as log:
        response = await client.get("/api/v1/tags", headers=headers)

    assert response.json() == [{"name": "a", "count": 25}, {"name": "b", "count": 25}]
    assert log.verbs == ["SELECT"]


async def test_bulk_completing_ten_tasks_issues_one_select_and_one_update_per_task(
    served: tuple[httpx.AsyncClient, AsyncEngine], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, engine = served
    headers, ids = owner_with_tasks

    with counting(engine) as log:
        response = await client.post(
            "/api/v1/tasks/bulk", json={"action": "complete", "ids": ids[:10]}, headers=headers
        )

    assert response.json() == {"affected": 10}
    assert log.verbs == ["SELECT"] + ["UPDATE"] * 10


async def test_bulk_deleting_ten_tasks_issues_one_delete(
    served: tuple[httpx.AsyncClient, AsyncEngine], owner_with_tasks: tuple[dict[str, str], list[str]]
) -> None:
    client, engine = served
    headers, ids = owner_with_tasks

    with counting(engine) as log:
        response = await client.post(
            "/api/v1/tasks/bulk", json={"action": "delete", "ids": ids[:10]}, headers=headers
        )

    assert response.json() == {"affected": 10}
    assert log.verbs == ["DELETE"]
