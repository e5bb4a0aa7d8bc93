"""Faults between the service and PostgreSQL: stopped, restarted, cut connections, a cold start.

The shared PostgreSQL server must never be stopped, so the service reaches it through a TCP proxy
that the tests take down and bring back up (see tests/support/tcp_proxy.py); killed connections
are also tried for real, with pg_terminate_backend.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from adapters.sqlmodel.transactions import TransactionPolicy
from entrypoints.http.app import create_app
from tests.api.helpers import TASKS, assert_problem, create_task, task_url
from tests.support.app import auth, running, test_settings
from tests.support.tcp_proxy import TcpProxy, tcp_proxy

pytestmark = pytest.mark.postgres

READINESS_BOUND_SECONDS = 3.0  # the probe's own timeout is 2 s
# begin() sleeps 0.2 + 0.4 + 0.8 s between its 4 attempts; refused connects add next to nothing.
RETRY_BUDGET_SECONDS = 1.4
UNAVAILABLE_BOUND_SECONDS = 10.0
# What a client must never read in an error answer: tracebacks, driver or library names, the target.
DRIVER_TEXT = ("Traceback", "asyncpg", "sqlalchemy", "ConnectionRefused", "OSError", "Errno", "127.0.0.1")


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    server = make_url(postgres_url)
    async with tcp_proxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def app(proxy: TcpProxy, postgres_url: str) -> FastAPI:
    """The service on the migrated test database, reached through the proxy."""
    return create_app(test_settings(proxy.url_for(postgres_url)))


@pytest.fixture
def owner() -> dict[str, str]:
    return auth(f"faults-{uuid.uuid4()}")


def assert_unavailable(response: httpx.Response, proxy: TcpProxy) -> None:
    """A 503 problem that tells the client when to come back, and nothing about the inside."""
    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    for leak in (*DRIVER_TEXT, str(proxy.port)):
        assert leak not in response.text, response.text


def pool_checked_out(app: FastAPI) -> int:
    return int(app.state.container.adapters.database().checked_out)


async def titles(client: httpx.AsyncClient, owner: dict[str, str]) -> list[str]:
    response = await client.get(TASKS, params={"limit": 100}, headers=owner)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["items"]]


async def timed(request: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


def as_admin(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def terminate_sessions(admin_url: str, database: str, application_name: str) -> int:
    """Kill every server session the service holds on `database`; return how many there were."""
    connection = await asyncpg.connect(admin_url)
    try:
        killed = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name = $2",
            database,
            application_name,
        )
    finally:
        await connection.close()
    return sum(1 for row in killed if row[0])


async def warm_pool(client: httpx.AsyncClient, owner: dict[str, str], connections: int) -> None:
    """Make the pool hold several idle connections: that many requests at once, all finished."""
    answers = await asyncio.gather(*(client.get(TASKS, headers=owner) for _ in range(connections)))
    assert [answer.status_code for answer in answers] == [200] * connections


# --- PostgreSQL stopped -------------------------------------------------------------------------


async def test_while_the_database_is_stopped_readiness_answers_503_naming_the_database_check(
    app: FastAPI, proxy: TcpProxy
) -> None:
    async with running(app) as client:
        await proxy.down()

        response, elapsed = await timed(client.get("/health/ready"))

    body = assert_problem(response, 503)
    assert body["checks"] == {"database": "failing", "schema": "unknown"}
    assert elapsed < READINESS_BOUND_SECONDS
    for leak in (*DRIVER_TEXT, str(proxy.port)):
        assert leak not in response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", TASKS, None, id="list"),
        pytest.param("GET", task_url(str(uuid.UUID(int=7))), None, id="get"),
        pytest.param("POST", TASKS, {"title": "Never stored"}, id="create"),
        pytest.param("PATCH", task_url(str(uuid.UUID(int=7))), {"title": "Never changed"}, id="update"),
        pytest.param("DELETE", task_url(str(uuid.UUID(int=7))), None, id="delete"),
    ],
)
async def test_while_the_database_is_stopped_task_routes_answer_503_problems_with_retry_after_in_bounded_time(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str], method: str, path: str, body: object
) -> None:
    async with running(app) as client:
        await warm_pool(client, owner, 3)  # the pool's idle connections die with the server
        await proxy.down()

        response, elapsed = await timed(client.request(method, path, json=body, headers=owner))

        assert_unavailable(response, proxy)
        assert RETRY_BUDGET_SECONDS * 0.9 <= elapsed < UNAVAILABLE_BOUND_SECONDS  # retried, then gave up
        assert pool_checked_out(app) == 0


async def test_a_cold_service_whose_database_is_stopped_answers_503_not_500(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str]
) -> None:
    await proxy.down()

    async with running(app) as client:
        response, elapsed = await timed(client.post(TASKS, json={"title": "Never stored"}, headers=owner))

    assert_unavailable(response, proxy)
    assert elapsed < UNAVAILABLE_BOUND_SECONDS


async def test_nothing_sent_while_the_database_is_stopped_is_stored_once_it_is_back(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str]
) -> None:
    async with running(app) as client:
        await create_task(client, owner, title="Kept")
        await proxy.down()
        refused = await client.post(TASKS, json={"title": "Sent while stopped"}, headers=owner)
        await proxy.up()

        after = await titles(client, owner)

    assert_unavailable(refused, proxy)
    assert after == ["Kept"]


async def test_after_the_database_restarts_the_same_service_recovers_without_a_restart_of_its_own(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str]
) -> None:
    async with running(app) as client:
        task = await create_task(client, owner, title="Before the restart")
        await proxy.down()
        assert (await client.get("/health/ready")).status_code == 503
        assert_unavailable(await client.get(TASKS, headers=owner), proxy)

        await proxy.up()
        ready = await client.get("/health/ready")
        created = await client.post(TASKS, json={"title": "After the restart"}, headers=owner)
        changed = await client.patch(task_url(task["id"]), json={"completed": True}, headers=owner)
        listed = await titles(client, owner)

    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "schema": "ok"}}
    assert created.status_code == 201, created.text
    assert changed.status_code == 200, changed.text
    assert changed.json()["completed"] is True
    assert listed == ["After the restart", "Before the restart"]


# --- Blips and killed connections ---------------------------------------------------------------


async def test_a_blip_that_cuts_every_pooled_connection_fails_no_request(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str]
) -> None:
    async with running(app) as client:
        task = await create_task(client, owner)
        await warm_pool(client, owner, 8)
        pooled = proxy.open_connections
        accepted_before = proxy.accepted
        await proxy.drop_connections()

        answers = await asyncio.gather(
            *(client.get(TASKS, headers=owner) for _ in range(6)),
            *(client.post(TASKS, json={"title": f"After the blip {n}"}, headers=owner) for n in range(6)),
            *(client.patch(task_url(task["id"]), json={"priority": "high"}, headers=owner) for _ in range(4)),
        )

        checked_out = pool_checked_out(app)

    assert pooled >= 2  # the blip did cut idle pooled connections
    assert [answer.status_code for answer in answers] == [200] * 6 + [201] * 6 + [200] * 4, [
        answer.text for answer in answers if answer.status_code >= 500
    ]
    assert proxy.accepted > accepted_before  # the dead connections were replaced by new ones
    assert checked_out == 0


async def test_one_request_after_a_blip_succeeds_even_when_the_pool_holds_many_dead_connections(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str]
) -> None:
    async with running(app) as client:
        await warm_pool(client, owner, 10)
        pooled = proxy.open_connections
        await proxy.drop_connections()

        response = await client.post(TASKS, json={"title": "After the blip"}, headers=owner)

    assert pooled >= 5  # more dead connections than begin() has attempts
    assert response.status_code == 201, response.text


async def test_connections_killed_with_pg_terminate_backend_are_replaced_and_the_next_requests_succeed(
    postgres_url: str, owner: dict[str, str]
) -> None:
    application_name = f"tasks-faults-{uuid.uuid4().hex[:12]}"
    database = make_url(postgres_url).database
    assert database is not None
    app = create_app(test_settings(f"{postgres_url}?application_name={application_name}"))
    async with running(app) as client:
        task = await create_task(client, owner)
        await warm_pool(client, owner, 6)
        killed = await terminate_sessions(as_admin(postgres_url), database, application_name)

        answers = await asyncio.gather(
            *(client.get(TASKS, headers=owner) for _ in range(4)),
            *(client.post(TASKS, json={"title": f"After the kill {n}"}, headers=owner) for n in range(4)),
            client.patch(task_url(task["id"]), json={"priority": "low"}, headers=owner),
        )

    assert killed >= 2
    assert [answer.status_code for answer in answers] == [200] * 4 + [201] * 4 + [200], [
        answer.text for answer in answers if answer.status_code >= 500
    ]


# --- Cold starts --------------------------------------------------------------------------------


async def test_a_request_during_a_cold_start_waits_for_the_database_instead_of_failing(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str]
) -> None:
    await proxy.down()
    async with running(app) as client:
        started = time.monotonic()
        request = asyncio.create_task(client.post(TASKS, json={"title": "First"}, headers=owner))
        await asyncio.sleep(0.5)
        assert not request.done()  # still retrying, not answered 503
        await proxy.up()

        response = await asyncio.wait_for(request, UNAVAILABLE_BOUND_SECONDS)
        elapsed = time.monotonic() - started
        listed = await titles(client, owner)

    assert response.status_code == 201, response.text
    assert 0.5 <= elapsed < RETRY_BUDGET_SECONDS + 1.0
    assert listed == ["First"]


async def test_readiness_during_a_cold_start_turns_ready_as_soon_as_the_database_answers(
    app: FastAPI, proxy: TcpProxy
) -> None:
    await proxy.down()
    async with running(app) as client:
        before = await client.get("/health/ready")
        await proxy.up()

        after = await client.get("/health/ready")

    assert before.status_code == 503
    assert after.status_code == 200


# --- Readiness after connections die under the pool ---------------------------------------------


async def test_readiness_right_after_a_blip_reports_the_database_as_it_is_not_a_dead_pooled_connection(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str]
) -> None:
    async with running(app) as client:
        await warm_pool(client, owner, 3)
        await proxy.drop_connections()

        response = await client.get("/health/ready")

    assert response.status_code == 200, response.text


async def test_readiness_right_after_the_services_connections_are_terminated_answers_200(
    postgres_url: str, owner: dict[str, str]
) -> None:
    application_name = f"tasks-faults-{uuid.uuid4().hex[:12]}"
    database = make_url(postgres_url).database
    assert database is not None
    app = create_app(test_settings(f"{postgres_url}?application_name={application_name}"))
    async with running(app) as client:
        await warm_pool(client, owner, 3)
        killed = await terminate_sessions(as_admin(postgres_url), database, application_name)

        response = await client.get("/health/ready")

    assert killed >= 1
    assert response.status_code == 200, response.text


# --- A database that accepts connections and never answers --------------------------------------


async def test_while_the_database_hangs_readiness_answers_503_within_its_own_timeout(
    app: FastAPI, proxy: TcpProxy
) -> None:
    async with running(app) as client:
        proxy.stall()  # connects are accepted, never answered: the 5 s connect timeout would not help

        response, elapsed = await timed(client.get("/health/ready"))

        checked_out = pool_checked_out(app)

    body = assert_problem(response, 503)
    assert body["checks"] == {"database": "failing", "schema": "unknown"}
    assert 1.5 <= elapsed < READINESS_BOUND_SECONDS
    assert checked_out == 0


async def test_while_the_database_hangs_task_routes_give_up_after_the_configured_connect_timeout(
    proxy: TcpProxy, postgres_url: str, owner: dict[str, str]
) -> None:
    connect_timeout = 0.5
    app = create_app(
        test_settings(proxy.url_for(postgres_url), database_connect_timeout_seconds=connect_timeout)
    )
    async with running(app) as client:
        proxy.stall()

        response, elapsed = await timed(client.post(TASKS, json={"title": "Never stored"}, headers=owner))

        await proxy.resume()
        listed = await titles(client, owner)
        checked_out = pool_checked_out(app)

    assert_unavailable(response, proxy)
    attempts = 4
    assert attempts * connect_timeout + RETRY_BUDGET_SECONDS * 0.9 <= elapsed < UNAVAILABLE_BOUND_SECONDS
    assert listed == []
    assert checked_out == 0


async def test_while_the_database_hangs_with_default_settings_a_route_answers_503_within_the_begin_deadline(
    proxy: TcpProxy, postgres_url: str, owner: dict[str, str]
) -> None:
    app = create_app(test_settings(proxy.url_for(postgres_url)))
    async with running(app) as client:
        proxy.stall()

        response, elapsed = await timed(client.get(TASKS, headers=owner))

        await proxy.resume()

    assert_unavailable(response, proxy)
    assert elapsed < TransactionPolicy().begin_deadline_seconds + 1.5


# --- A connection lost in the middle of a transaction -------------------------------------------


async def test_a_connection_lost_in_the_middle_of_a_transaction_answers_503_and_changes_nothing(
    app: FastAPI, proxy: TcpProxy, owner: dict[str, str]
) -> None:
    database = app.state.container.adapters.database()

    def cut_before_the_update(statement: str, _arguments: Any) -> None:
        if statement.lstrip().startswith("UPDATE tasks"):
            proxy.cut()  # after BEGIN and the row lock, before the write reaches the server

    async with running(app) as client:
        task = await create_task(client, owner, title="Unchanged")
        database.listeners.append(cut_before_the_update)
        try:
            response = await client.patch(task_url(task["id"]), json={"title": "Changed"}, headers=owner)
        finally:
            database.listeners.remove(cut_before_the_update)

        after = await client.get(task_url(task["id"]), headers=owner)
        checked_out = pool_checked_out(app)

    assert_unavailable(response, proxy)
    assert after.status_code == 200, after.text
    assert after.json()["title"] == "Unchanged"
    assert after.json()["version"] == task["version"]
    assert checked_out == 0
