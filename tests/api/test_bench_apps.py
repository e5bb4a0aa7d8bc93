"""The benchmark's loader and bare apps still load, start and answer as the service does (no timing)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest
from fastapi import FastAPI

from bench import bare_aiosqlite, bare_asyncpg
from bench.dataset import SECRET, Dataset, build, token
from bench.load import PostgresTarget, SqliteTarget, drop_postgres, load_postgres, load_sqlite
from entrypoints.http.app import create_app
from entrypoints.http.schemas import TaskPublic
from tests.support.app import running, test_settings
from tests.support.databases import IN_CI, asyncpg_dsn, off_loop, require_postgres

USERS, TASKS_PER_USER = 2, 30
PUBLIC_KEYS = set(TaskPublic.model_fields)


@dataclass(frozen=True, slots=True)
class Loaded:
    """One backend's two databases, filled by the loader, and how to reach each."""

    dataset: Dataset
    bare_target: str
    service_url: str
    bare_ids: set[UUID]
    service_ids: set[UUID]

    def bare_app(self) -> FastAPI:
        if self.service_url.startswith("sqlite"):
            return bare_aiosqlite.create_app(self.bare_target, SECRET)
        return bare_asyncpg.create_app(self.bare_target, SECRET, pool_size=2)

    def service_app(self) -> FastAPI:
        return create_app(test_settings(self.service_url, auth_jwt_secret=SECRET))


def _sqlite(dataset: Dataset, folder: Path) -> Loaded:
    files = SqliteTarget(folder / "bare.db", folder / "service.db")
    off_loop(load_sqlite, dataset, files)
    with sqlite3.connect(files.bare_path) as bare, sqlite3.connect(files.service_path) as service:
        bare_ids = {UUID(row[0]) for row in bare.execute("SELECT id FROM tasks")}
        service_ids = {UUID(row[0]) for row in service.execute("SELECT id FROM tasks")}
    return Loaded(dataset, str(files.bare_path), files.service_url, bare_ids, service_ids)


async def _ids(dsn: str) -> set[UUID]:
    connection = await asyncpg.connect(dsn)
    try:
        return {row["id"] for row in await connection.fetch("SELECT id FROM tasks")}
    finally:
        await connection.close()


async def _ping(dsn: str) -> None:
    connection = await asyncpg.connect(dsn, timeout=5)
    await connection.close()


@contextmanager
def _postgres(dataset: Dataset) -> Iterator[Loaded]:
    """Databases of their own for this run, so parallel runs never collide; dropped after."""
    admin = asyncpg_dsn(require_postgres())
    try:
        off_loop(asyncio.run, _ping(admin))
    except (OSError, asyncpg.PostgresError) as error:
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error}")
    suffix = uuid.uuid4().hex[:12]
    target = PostgresTarget(
        admin_url=admin,
        bare_database=f"bench_test_bare_{suffix}",
        service_database=f"bench_test_service_{suffix}",
    )
    try:
        off_loop(asyncio.run, load_postgres(dataset, target))
        bare_ids = off_loop(asyncio.run, _ids(target.bare_dsn))
        service_ids = off_loop(asyncio.run, _ids(target.url(target.service_database)))
        yield Loaded(dataset, target.bare_dsn, target.service_url, bare_ids, service_ids)
    finally:
        off_loop(asyncio.run, drop_postgres(target))


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    dataset = build(USERS, TASKS_PER_USER)
    if request.param == "sqlite":
        yield _sqlite(dataset, tmp_path_factory.mktemp("bench"))
    else:
        with _postgres(dataset) as databases:
            yield databases


def _auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(user)}"}


def test_the_loader_puts_the_same_tasks_in_both_databases(loaded: Loaded) -> None:
    assert len(loaded.dataset.tasks) == USERS * TASKS_PER_USER
    assert loaded.bare_ids == loaded.service_ids == {task.id for task in loaded.dataset.tasks}


async def test_get_one_answers_what_the_service_answers(loaded: Loaded) -> None:
    alice, bob = loaded.dataset.users
    ids = loaded.dataset.ids_by_user()
    async with running(loaded.bare_app()) as bare, running(loaded.service_app()) as service:
        answer = await bare.get(f"/api/v1/tasks/{ids[alice][0]}", headers=_auth(alice))
        assert answer.status_code == 200
        assert set(answer.json()) == PUBLIC_KEYS
        served = await service.get(f"/api/v1/tasks/{ids[alice][0]}", headers=_auth(alice))
        assert served.status_code == 200
        assert answer.json() == served.json()

        assert (await bare.get(f"/api/v1/tasks/{ids[bob][0]}", headers=_auth(alice))).status_code == 404
        assert (await bare.get(f"/api/v1/tasks/{ids[bob][0]}")).status_code == 401


async def test_the_list_pages_by_keyset_newest_first(loaded: Loaded) -> None:
    alice = loaded.dataset.users[0]
    newest_first = [str(task_id) for task_id in reversed(loaded.dataset.ids_by_user()[alice])]
    async with running(loaded.bare_app()) as bare, running(loaded.service_app()) as service:
        first = await bare.get("/api/v1/tasks", params={"limit": 20}, headers=_auth(alice))
        assert first.status_code == 200
        page = first.json()
        assert len(page["items"]) == 20
        assert page["next_cursor"]
        served = (await service.get("/api/v1/tasks", params={"limit": 20}, headers=_auth(alice))).json()
        assert page["items"] == served["items"]

        params = {"limit": 20, "cursor": page["next_cursor"]}
        rest = (await bare.get("/api/v1/tasks", params=params, headers=_auth(alice))).json()
        assert rest["next_cursor"] is None
        seen = [item["id"] for item in page["items"] + rest["items"]]
        assert seen == newest_first  # every task once, in order: no overlap, none missed


async def test_create_answers_201_with_the_task(loaded: Loaded) -> None:
    alice = loaded.dataset.users[0]
    body = {"title": "Benchmark task", "priority": "high", "tags": ["bench", "wrk"]}
    async with running(loaded.bare_app()) as bare:
        answer = await bare.post("/api/v1/tasks", json=body, headers=_auth(alice))
        assert answer.status_code == 201
        created = answer.json()
        assert set(created) == PUBLIC_KEYS
        assert (created["title"], created["priority"], created["tags"]) == (
            "Benchmark task",
            "high",
            ["bench", "wrk"],
        )
        again = await bare.get(f"/api/v1/tasks/{created['id']}", headers=_auth(alice))
        assert again.json() == created
