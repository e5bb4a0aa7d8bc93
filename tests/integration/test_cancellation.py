"""Requests cancelled mid-flight leave nothing behind: no connection checked out of the pool, no
session idle in transaction on the server, and a service that answers the next request."""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from adapters.sqlmodel.database import Database
from entrypoints.http.app import create_app
from tests.api.helpers import TASKS, create_task, task_url
from tests.support.app import TEST_SECRET, auth, running, test_settings
from tests.support.served import TASKS as TASKS_COMMAND
from tests.support.served import clean_environment, free_port

pytestmark = pytest.mark.postgres

REQUESTS = 100
IN_FLIGHT = 20  # the default pool's size plus overflow: some requests also wait for a connection
MAX_DELAY_SECONDS = 0.02
SETTLE_SECONDS = 2.0  # for the shielded session closes and the server's own bookkeeping
STORM_BOUND_SECONDS = 30.0

Request = Callable[[], Awaitable[httpx.Response]]


@pytest.fixture
def application_name() -> str:
    """Names the service's sessions in pg_stat_activity, apart from every other test's."""
    return f"tasks-cancel-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app(postgres_url: str, application_name: str) -> FastAPI:
    return create_app(test_settings(f"{postgres_url}?application_name={application_name}"))


@pytest.fixture
def owner() -> dict[str, str]:
    return auth(f"cancel-{uuid.uuid4()}")


# --- What the server and the pool say -----------------------------------------------------------


async def session_states(postgres_url: str, application_name: str) -> list[str]:
    """The state of each server session the service holds on the test database."""
    url = make_url(postgres_url)
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        rows = await connection.fetch(
            "SELECT coalesce(state, '') FROM pg_stat_activity"
            " WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()",
            url.database,
            application_name,
        )
    finally:
        await connection.close()
    return [row[0] for row in rows]


async def none_idle_in_transaction(postgres_url: str, application_name: str) -> bool:
    states = await session_states(postgres_url, application_name)
    return not any(state.startswith("idle in transaction") for state in states)


async def all_idle(postgres_url: str, application_name: str) -> bool:
    """None idle in transaction and none still running a statement: the service's sessions rest."""
    return all(state == "idle" for state in await session_states(postgres_url, application_name))


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = SETTLE_SECONDS) -> bool:
    """Whether `check` holds within `seconds`, polling; the last answer counts."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return await check()


def pool_at_rest(app: FastAPI) -> Callable[[], Awaitable[bool]]:
    """Nothing checked out by the service, and its pool agrees: every place is back (a connection
    whose check-in went wrong would still be missing there)."""
    database = app.state.container.adapters.database()
    settings = app.state.container.settings()

    async def check() -> bool:
        places = database._pool.available
        return (
            database.checked_out == 0
            and places == settings.database_pool_size + settings.database_max_overflow
        )

    return check


# --- The storm ----------------------------------------------------------------------------------


def mixed_requests(client: httpx.AsyncClient, owner: dict[str, str], task_ids: list[str]) -> list[Request]:
    """REQUESTS requests, shuffled: PATCHes contending for a few rows (each holds a row lock in its
    transaction while the others wait), creates, and lists."""
    requests: list[Request] = []
    for n in range(REQUESTS):
        if n % 4 in (0, 1):
            path = task_url(task_ids[n % len(task_ids)])
            body = {"title": f"Changed {n}", "priority": random.choice(["low", "medium", "high"])}
            requests.append(lambda path=path, body=body: client.patch(path, json=body, headers=owner))
        elif n % 4 == 2:
            body = {"title": f"Created {n}"}
            requests.append(lambda body=body: client.post(TASKS, json=body, headers=owner))
        else:
            requests.append(lambda: client.get(TASKS, headers=owner))
    random.shuffle(requests)
    return requests


class InTransactionCanceller:
    """Cancels chosen requests just after their transaction sent a write or took a row lock: while
    they wait for the server's answer, or a moment later, at the next statement or the COMMIT."""

    def __init__(self, database: Database[Any]) -> None:
        self._database = database
        self.chosen: set[asyncio.Task[Any]] = set()
        self.cancelled_in_transaction: set[asyncio.Task[Any]] = set()

    def __enter__(self) -> InTransactionCanceller:
        self._database.listeners.append(self._before_execute)
        return self

    def __exit__(self, *_: object) -> None:
        self._database.listeners.remove(self._before_execute)

    def _before_execute(self, statement: str, _arguments: Any) -> None:
        task = asyncio.current_task()  # the request's own task: httpx's ASGI transport runs the app in it
        if task not in self.chosen or not statement.lstrip().startswith(("INSERT", "UPDATE", "SELECT tasks")):
            return
        self.chosen.discard(task)
        self.cancelled_in_transaction.add(task)
        asyncio.get_running_loop().call_later(random.uniform(0, 0.003), task.cancel)


async def storm(requests: list[Request], canceller: InTransactionCanceller) -> list[Any]:
    """Run the requests, IN_FLIGHT at a time: a third cancelled inside their transactions, a third
    after a random 0-20 ms (in the pool's queue, connecting, or anywhere), a third left to finish
    beside them. Return what each one ended with."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(index: int, request: Request) -> Any:
        async with slots:
            task = asyncio.ensure_future(request())
            if index % 3 == 0:
                canceller.chosen.add(task)
            elif index % 3 == 1:
                loop.call_later(random.uniform(0, MAX_DELAY_SECONDS), task.cancel)
            try:
                return await asyncio.wait_for(asyncio.shield(task), STORM_BOUND_SECONDS)
            except asyncio.CancelledError as cancelled:
                return cancelled

    return await asyncio.gather(*(one(index, request) for index, request in enumerate(requests)))


def summary(outcomes: list[Any]) -> tuple[int, list[httpx.Response]]:
    cancelled = sum(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
    unexpected = [o for o in outcomes if not isinstance(o, asyncio.CancelledError | httpx.Response)]
    assert unexpected == [], unexpected
    return cancelled, [outcome for outcome in outcomes if isinstance(outcome, httpx.Response)]


# --- In process ---------------------------------------------------------------------------------


async def test_cancelled_requests_leave_no_connection_checked_out_and_no_session_idle_in_transaction(
    app: FastAPI, postgres_url: str, application_name: str, owner: dict[str, str]
) -> None:
    database = app.state.container.adapters.database()
    async with running(app) as client:
        task_ids = [(await create_task(client, owner, title=f"Task {n}"))["id"] for n in range(3)]

        with InTransactionCanceller(database) as canceller:
            outcomes = await storm(mixed_requests(client, owner, task_ids), canceller)
            pool_rested = await eventually(pool_at_rest(app))
        checked_out = database.checked_out
        none_idle = await eventually(lambda: none_idle_in_transaction(postgres_url, application_name))
        states = await session_states(postgres_url, application_name)
        after = await client.patch(task_url(task_ids[0]), json={"title": "After the storm"}, headers=owner)
        listed = await client.get(TASKS, headers=owner)

    cancelled, answered = summary(outcomes)
    assert cancelled >= REQUESTS // 3, f"only {cancelled} of {REQUESTS} requests were cancelled"
    assert len(canceller.cancelled_in_transaction) >= 10  # the storm did reach inside transactions
    assert len(answered) >= REQUESTS // 4  # and requests that were not cancelled ran beside them
    assert [answer.text for answer in answered if answer.status_code >= 500] == []
    assert pool_rested, f"{checked_out} connections still checked out"
    assert none_idle, states
    assert after.status_code == 200, after.text
    assert listed.status_code == 200, listed.text


async def test_repeated_storms_of_cancelled_requests_never_grow_the_services_sessions_past_its_pool(
    app: FastAPI, postgres_url: str, application_name: str, owner: dict[str, str]
) -> None:
    database = app.state.container.adapters.database()
    settings = app.state.container.settings()
    limit = settings.database_pool_size + settings.database_max_overflow
    async with running(app) as client:
        task_ids = [(await create_task(client, owner, title=f"Task {n}"))["id"] for n in range(3)]

        with InTransactionCanceller(database) as canceller:
            for _ in range(4):
                summary(await storm(mixed_requests(client, owner, task_ids), canceller))
            pool_rested = await eventually(pool_at_rest(app))
        checked_out = database.checked_out
        rested = await eventually(lambda: all_idle(postgres_url, application_name))
        states = await session_states(postgres_url, application_name)
        after = await asyncio.gather(*(client.get(TASKS, headers=owner) for _ in range(limit)))

    assert pool_rested, f"{checked_out} connections still checked out"
    assert rested, states
    assert len(states) <= limit, states
    assert [answer.status_code for answer in after] == [200] * limit


# --- Through a real `tasks serve` process -------------------------------------------------------


@contextmanager
def serving(cwd: Path, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """`tasks serve` on a free port, its output going to a file (a pipe nobody reads fills up and
    stops the server); yield the base URL and the log file once it is ready."""
    port = free_port()
    log = cwd / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [TASKS_COMMAND, "serve", "--port", str(port)], cwd=cwd, env=env, stdout=output, stderr=output
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _ready(base_url):
            assert process.poll() is None, f"`tasks serve` exited early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"`tasks serve` not ready within 30 s:\n{log.read_text()}"
            time.sleep(0.1)
        yield base_url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ready(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def served_environment(postgres_url: str, application_name: str, **extra: str) -> dict[str, str]:
    plain_url = postgres_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return clean_environment(
        DATABASE_URL=f"{plain_url}?application_name={application_name}", AUTH_JWT_SECRET=TEST_SECRET, **extra
    )


def test_clients_of_a_served_process_that_hang_up_mid_request_leave_no_session_idle_in_transaction(
    tmp_path: Path, postgres_url: str, application_name: str
) -> None:
    # uvicorn does not cancel a request whose client hung up: the route runs to its end and the
    # answer is dropped. So this shows the end state through the real server; the in-process tests
    # above are the ones that cancel requests inside their transactions.
    pool_size = 4
    env = served_environment(
        postgres_url, application_name, DATABASE_POOL_SIZE=str(pool_size), DATABASE_MAX_OVERFLOW="0"
    )
    owner = auth(f"cancel-{uuid.uuid4()}")

    with serving(tmp_path, env) as (base_url, log):
        outcomes, task_ids = asyncio.run(hang_ups(base_url, owner))

        rested = asyncio.run(eventually(lambda: all_idle(postgres_url, application_name), seconds=10))
        states = asyncio.run(session_states(postgres_url, application_name))
        with httpx.Client(base_url=base_url, headers=owner, timeout=10) as http:
            after = [
                http.patch(task_url(task_id), json={"title": "After the hang-ups"}) for task_id in task_ids
            ]
            ready = http.get("/health/ready")

    hung_up = sum(isinstance(outcome, httpx.TimeoutException) for outcome in outcomes)
    assert hung_up >= REQUESTS // 4, f"only {hung_up} of {REQUESTS} clients hung up"
    assert rested, states
    assert len(states) <= pool_size, states
    assert [answer.status_code for answer in after] == [200] * len(task_ids)
    assert ready.status_code == 200, ready.text
    assert "Traceback" not in log.read_text()


async def hang_ups(base_url: str, owner: dict[str, str]) -> tuple[list[Any], list[str]]:
    """The storm, each request from its own client, which gives up after 1-20 ms and hangs up."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as setup:
        task_ids = [(await create_task(setup, owner, title=f"Task {n}"))["id"] for n in range(3)]

    async def hang_up(n: int) -> httpx.Response:
        timeout = httpx.Timeout(10, read=random.uniform(0.001, MAX_DELAY_SECONDS))
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout, headers=owner) as client:
            if n % 4 in (0, 1):
                return await client.patch(
                    task_url(task_ids[n % len(task_ids)]), json={"title": f"Changed {n}"}
                )
            if n % 4 == 2:
                return await client.post(TASKS, json={"title": f"Created {n}"})
            return await client.get(TASKS)

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(hang_up(n) for n in range(REQUESTS)), return_exceptions=True), STORM_BOUND_SECONDS
    )
    return outcomes, task_ids


def test_a_served_process_at_log_level_warning_logs_no_sql_statements(
    tmp_path: Path, postgres_url: str, application_name: str
) -> None:
    env = served_environment(postgres_url, application_name, LOG_LEVEL="WARNING")

    with serving(tmp_path, env) as (base_url, log):
        listed = httpx.get(f"{base_url}{TASKS}", headers=auth(f"quiet-{uuid.uuid4()}"), timeout=10)

    assert listed.status_code == 200, listed.text
    logged = log.read_text()
    assert "sqlalchemy.engine" not in logged, logged[:2000]
    assert "FROM tasks" not in logged, logged[:2000]
