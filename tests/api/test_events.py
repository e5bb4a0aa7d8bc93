"""GET /api/v1/events: live changes as Server-Sent Events, from real `tasks serve` processes (an
in-process transport would buffer a whole answer, and a stream has no end).

On PostgreSQL two processes share a database: a change made through one reaches a stream on the
other within a second, by LISTEN/NOTIFY, with polling set far too slow to explain it. On SQLite a
stream hears of its own process's changes at once, and polls for other processes' changes."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.api.helpers import PROBLEM_MEDIA_TYPE, task_url
from tests.support.app import TEST_SECRET, auth
from tests.support.databases import asyncpg_dsn, fresh_postgres_database, require_postgres
from tests.support.events import EventStream, event_stream
from tests.support.served import TASKS, clean_environment, served, served_process

EVENTS = "/api/v1/events"
TICKET = "/api/v1/events/ticket"
TASKS_PATH = "/api/v1/tasks"
SLOW_POLL = "30"  # nothing in these tests may be explained by polling, unless a test says so


def _environment(**settings: str) -> dict[str, str]:
    values = {
        "AUTH_JWT_SECRET": TEST_SECRET,
        "EVENTS_POLL_SECONDS": SLOW_POLL,
        "EVENTS_HEARTBEAT_SECONDS": "0.5",
        "EVENTS_MAX_STREAMS_PER_USER": "2",
        **settings,
    }
    return clean_environment(**values)


@pytest.fixture(scope="module")
def sqlite_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """Two processes on one SQLite file: the second polls twice a second."""
    cwd = tmp_path_factory.mktemp("events-sqlite")
    database = f"sqlite:///{cwd / 'tasks.db'}"
    with ExitStack() as stack:
        first = stack.enter_context(served(cwd, _environment(DATABASE_URL=database)))
        second = stack.enter_context(
            served(cwd, _environment(DATABASE_URL=database, EVENTS_POLL_SECONDS="0.5"))
        )
        yield first, second, cwd


@pytest.fixture(scope="module")
def events_database() -> Iterator[str]:
    with fresh_postgres_database(require_postgres()) as url:
        yield url


@pytest.fixture(scope="module")
def postgres_services(
    events_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    cwd = tmp_path_factory.mktemp("events-postgres")
    env = _environment(DATABASE_URL=events_database.replace("postgresql+asyncpg://", "postgresql://", 1))
    subprocess.run([TASKS, "migrate"], cwd=cwd, env=env, check=True, capture_output=True)
    with served(cwd, env) as first, served(cwd, env) as second:
        yield first, second


@asynccontextmanager
async def client_for(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client


_CUT_LISTENERS = """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE datname = current_database() AND query = 'LISTEN "tasks_changes"'"""


async def _ready(stream: EventStream) -> str:
    """The first event of a stream opened without a position: `ready`, with the token of now."""
    ready = await stream.next()
    assert ready.event == "ready"
    assert ready.id
    return ready.id


async def _create(client: httpx.AsyncClient, headers: dict[str, str], title: str) -> str:
    response = await client.post(TASKS_PATH, json={"title": title}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.postgres
async def test_a_change_made_through_one_worker_reaches_a_stream_on_the_other_within_a_second(
    postgres_services: tuple[str, str],
) -> None:
    first, second = postgres_services
    alice = auth(f"alice-{uuid.uuid4()}")
    async with (
        client_for(first) as writer,
        client_for(second) as reader,
        event_stream(reader, EVENTS, alice) as stream,
    ):
        await _ready(stream)
        for title in ("one", "two", "three"):
            started = time.monotonic()
            task_id = await _create(writer, alice, title)
            change = await stream.next(within=1.0)
            assert time.monotonic() - started < 1.0
            assert change.event == "change"
            assert change.json["id"] == task_id
            assert change.json["op"] == "upsert"
            assert change.json["item"]["title"] == title
        for change_it, op in (
            (writer.patch(task_url(task_id), json={"title": "renamed"}, headers=alice), "upsert"),
            (writer.delete(task_url(task_id), headers=alice), "delete"),
        ):
            started = time.monotonic()
            assert (await change_it).status_code in (200, 204)
            change = await stream.next(within=1.0)
            assert time.monotonic() - started < 1.0
            assert (change.json["id"], change.json["op"]) == (task_id, op)


async def test_on_sqlite_a_stream_hears_at_once_of_its_own_process_and_by_polling_of_another(
    sqlite_services: tuple[str, str, Path],
) -> None:
    first, second, _ = sqlite_services
    alice = auth(f"alice-{uuid.uuid4()}")
    async with (
        client_for(first) as one,
        client_for(second) as other,
        event_stream(one, EVENTS, alice) as slow_poller,
        event_stream(other, EVENTS, alice) as fast,
    ):
        await _ready(slow_poller)
        await _ready(fast)
        made_here = await _create(one, alice, "here")
        assert (await slow_poller.next(within=1.0)).json["id"] == made_here  # told, not polled
        assert (await fast.next(within=2.0)).json["id"] == made_here  # polled, from the other process


@pytest.mark.postgres
async def test_a_change_made_while_the_listening_connection_was_lost_reaches_the_stream_once_it_is_back(
    postgres_services: tuple[str, str], events_database: str
) -> None:
    first, second = postgres_services
    alice = auth(f"alice-{uuid.uuid4()}")
    admin = await asyncpg.connect(asyncpg_dsn(events_database))
    try:
        async with (
            client_for(first) as writer,
            client_for(second) as reader,
            event_stream(reader, EVENTS, alice) as stream,
        ):
            await _ready(stream)
            cut = 0
            async with asyncio.timeout(5):
                while not cut:  # the stream listens once it has said `ready`
                    cut = await admin.fetchval(_CUT_LISTENERS)
                    await asyncio.sleep(0.05)
            untold = await _create(writer, alice, "while no one listened")
            seen = await stream.next(within=3.0)  # the reconnection's backoff and more; polling: 30 s
            told = await _create(writer, alice, "once it listens again")
            then = await stream.next(within=1.0)
    finally:
        await admin.close()

    assert seen.json["id"] == untold
    assert then.json["id"] == told


@pytest.mark.postgres
async def test_a_reconnect_with_last_event_id_gets_every_change_it_missed_and_nothing_it_had(
    postgres_services: tuple[str, str],
) -> None:
    first, second = postgres_services
    alice = auth(f"alice-{uuid.uuid4()}")
    async with client_for(first) as writer, client_for(second) as reader:
        async with event_stream(reader, EVENTS, alice) as stream:
            await _ready(stream)
            kept = await _create(writer, alice, "kept")
            seen = await stream.next()
            assert seen.json["id"] == kept
        # Disconnected: these are missed.
        gone = await _create(writer, alice, "gone")
        fresh = await _create(writer, alice, "fresh")
        await writer.patch(task_url(kept), json={"title": "renamed"}, headers=alice)
        await writer.delete(task_url(gone), headers=alice)

        resumed = {**alice, "Last-Event-ID": str(seen.id)}
        async with event_stream(reader, EVENTS, resumed) as stream:
            missed = await stream.changes(3)
            with pytest.raises(TimeoutError):  # and nothing more
                await stream.next(within=0.5)
        async with event_stream(reader, EVENTS, {**alice, "Last-Event-ID": str(missed[-1].id)}) as stream:
            later = await _create(writer, alice, "later")
            missed_again = [await stream.next()]

    assert [(e.json["op"], e.json["id"]) for e in missed] == [
        ("upsert", fresh),
        ("upsert", kept),
        ("delete", gone),
    ]
    assert missed[1].json["item"]["title"] == "renamed"
    assert [e.json["id"] for e in missed_again] == [later]  # after the last one seen: nothing again


async def test_another_users_stream_never_shows_anything_of_alices(
    sqlite_services: tuple[str, str, Path],
) -> None:
    first, _, _ = sqlite_services
    alice, bob = auth(f"alice-{uuid.uuid4()}"), auth(f"bob-{uuid.uuid4()}")
    async with client_for(first) as client, event_stream(client, EVENTS, bob) as bobs:
        await _ready(bobs)
        alices = [await _create(client, alice, f"alice's {n}") for n in range(3)]
        await client.delete(task_url(alices[0]), headers=alice)
        his = await _create(client, bob, "bob's")
        first_seen = await bobs.next()

    assert first_seen.json["id"] == his
    assert not set(alices) & {first_seen.json["id"]}


async def test_a_ticket_opens_one_stream_once_without_a_header_and_never_reaches_the_log(
    sqlite_services: tuple[str, str, Path],
) -> None:
    first, _, cwd = sqlite_services
    alice = auth(f"alice-{uuid.uuid4()}")
    async with client_for(first) as client:
        issued = await client.post(TICKET, headers=alice)
        assert issued.status_code == 201, issued.text
        ticket = issued.json()["ticket"]
        assert issued.json()["expires_in"] == 30
        async with event_stream(client, EVENTS, ticket=ticket) as stream:
            await _ready(stream)
            task_id = await _create(client, alice, "via a ticket")
            assert (await stream.next()).json["id"] == task_id
        again = await client.get(EVENTS, params={"ticket": ticket})
        forged = await client.get(EVENTS, params={"ticket": ticket[:-2] + "AA"})
        nothing = await client.get(EVENTS)
        no_ticket_for_nobody = await client.post(TICKET)

    for refused in (again, forged, nothing, no_ticket_for_nobody):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    logs = "".join(path.read_text() for path in cwd.glob("tasks-serve-*.log"))
    assert "GET /api/v1/events" in logs
    assert ticket not in logs
    assert ticket[:24] not in logs


async def test_more_streams_than_a_user_may_have_is_a_429_and_a_closed_one_frees_its_place(
    sqlite_services: tuple[str, str, Path],
) -> None:
    first, _, _ = sqlite_services
    alice = auth(f"alice-{uuid.uuid4()}")
    async with client_for(first) as client:
        async with event_stream(client, EVENTS, alice) as one, event_stream(client, EVENTS, alice) as two:
            await _ready(one)
            await _ready(two)
            refused = await client.get(EVENTS, headers=alice)
            others = await client.get(EVENTS, headers=auth(f"bob-{uuid.uuid4()}"), params={"since": "x"})
        deadline = time.monotonic() + 5
        while True:  # the server hears of the disconnects on its own time
            async with client.stream("GET", EVENTS, headers=alice) as again:
                if again.status_code == 200 or time.monotonic() > deadline:
                    break
            await asyncio.sleep(0.1)

    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert "retry-after" in refused.headers
    assert others.status_code == 422  # another user's limit is their own (this one's token is bad)
    assert again.status_code == 200


async def test_an_idle_stream_gets_heartbeat_comments(sqlite_services: tuple[str, str, Path]) -> None:
    first, _, _ = sqlite_services
    async with (
        client_for(first) as client,
        event_stream(client, EVENTS, auth(f"idle-{uuid.uuid4()}")) as stream,
    ):
        await _ready(stream)
        with pytest.raises(TimeoutError):
            await stream.next(within=1.6)
    assert len(stream.comments) >= 2


async def test_a_bad_or_expired_position_is_refused_before_the_stream_starts(
    sqlite_services: tuple[str, str, Path],
) -> None:
    first, _, _ = sqlite_services
    alice = auth(f"alice-{uuid.uuid4()}")
    async with client_for(first) as client:
        bad = await client.get(EVENTS, headers={**alice, "Last-Event-ID": "not-a-token"})
        also_bad = await client.get(EVENTS, headers=alice, params={"since": "A" * 60})
    for refused in (bad, also_bad):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE


def test_at_shutdown_open_streams_are_closed_and_the_process_exits_promptly(tmp_path: Path) -> None:
    env = _environment(DATABASE_URL=f"sqlite:///{tmp_path / 'tasks.db'}")

    async def hold_a_stream(base_url: str, stop: asyncio.Event) -> tuple[bool, float]:
        async with client_for(base_url) as client, event_stream(client, EVENTS, auth("leaving")) as stream:
            await _ready(stream)
            stop.set()
            started = time.monotonic()
            return await stream.ended(within=15), time.monotonic() - started

    async def run(base_url: str, terminate: Callable[[], None]) -> tuple[bool, float]:
        stop = asyncio.Event()
        holding = asyncio.create_task(hold_a_stream(base_url, stop))
        await stop.wait()
        terminate()
        return await holding

    with served_process(tmp_path, env) as (base_url, process):
        ended, seconds = asyncio.run(run(base_url, process.terminate))
        exit_code = process.wait(timeout=10)
    process_log = next(tmp_path.glob("tasks-serve-*.log")).read_text()

    assert ended
    assert seconds < 5
    # uvicorn ends on the signal it caught, once it has shut down (its default action, as asked).
    assert exit_code == -signal.SIGTERM
    assert "Finished server process" in process_log
    assert "Traceback" not in process_log


async def test_head_answers_with_the_streams_headers_and_ends_without_opening_one(
    sqlite_services: tuple[str, str, Path],
) -> None:
    first, _, _ = sqlite_services
    alice = auth(f"alice-{uuid.uuid4()}")
    async with client_for(first) as client:
        heads = [await client.head(EVENTS, headers=alice) for _ in range(3)]  # more than the limit of 2
        refused = await client.head(EVENTS)

    assert [head.status_code for head in heads] == [200, 200, 200]
    assert all(head.headers["content-type"].startswith("text/event-stream") for head in heads)
    assert heads[0].content == b""
    assert refused.status_code == 401


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_reader_that_stops_reading_is_closed_instead_of_buffered_for(tmp_path: Path) -> None:
    """A client that reads nothing while its changes pile up: the server does not keep them for it
    (it reads the next changes only once the last were sent); once a send has waited
    EVENTS_SEND_TIMEOUT_SECONDS, the stream is closed and its place is free again."""
    env = _environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'tasks.db'}",
        EVENTS_MAX_STREAMS_PER_USER="1",
        EVENTS_SEND_TIMEOUT_SECONDS="1",
        EVENTS_POLL_SECONDS="0.2",
    )
    owner = f"slow-{uuid.uuid4()}"
    headers = auth(owner)

    async def pile_up(base_url: str, pid: int) -> tuple[bool, int, int]:
        port = int(base_url.rsplit(":", 1)[1])
        reader = socket.socket()
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and it never reads past the status
        reader.connect(("127.0.0.1", port))
        request = f"GET {EVENTS} HTTP/1.1\r\nHost: test\r\nAuthorization: {headers['Authorization']}\r\n\r\n"
        reader.sendall(request.encode())
        assert reader.recv(12) == b"HTTP/1.1 200"
        rss_before = _rss_kb(pid)
        freed = False
        try:
            async with client_for(base_url) as client:
                for batch in range(40):
                    for n in range(100):
                        made = await client.post(
                            TASKS_PATH,
                            json={"title": f"{batch}-{n}", "description": "x" * 1900},
                            headers=headers,
                        )
                        assert made.status_code == 201, made.text
                    async with client.stream("GET", EVENTS, headers=headers) as again:
                        if again.status_code == 200:
                            freed = True
                            break
        finally:
            reader.close()
        return freed, rss_before, _rss_kb(pid)

    with served_process(tmp_path, env) as (base_url, process):
        freed, rss_before, rss_after = asyncio.run(pile_up(base_url, process.pid))

    assert freed
    assert rss_after - rss_before < 64 * 1024  # KB: the piled-up changes were not kept in memory
