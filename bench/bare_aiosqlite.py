"""Baseline: FastAPI + aiosqlite written bare (no layers), answering the service's task routes and JSON.

Serve it with `uvicorn bench.bare_aiosqlite:create_app --factory`; BENCH_DSN is the database file,
BENCH_SECRET the token secret.
"""

# No `from __future__ import annotations`: FastAPI must see the routes' `Owner` alias, which is local.
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import aiosqlite
import uuid6
from fastapi import Depends, FastAPI, HTTPException, Query

from bench.bare_common import PRIORITIES, NewTask, decode_cursor, encode_cursor, env, owner_dependency
from domain.task import position_at
from entrypoints.http.schemas import TaskPagePublic, TaskPublic

# The service's tasks columns; times are fixed-width ISO 8601 text in UTC, so text order is time order.
SCHEMA = (
    """CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT,
        priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
        tags TEXT NOT NULL,
        due_at TEXT,
        recurrence TEXT,
        completed INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        completed_at TEXT,
        version INTEGER NOT NULL,
        title_key TEXT NOT NULL,
        search_key TEXT NOT NULL,
        list_id TEXT,
        parent_id TEXT,
        position TEXT NOT NULL
    )""",
    "CREATE INDEX tasks_owner_recent ON tasks (user_id, created_at DESC, id DESC)",
)
_COLUMNS = (
    "id, title, description, completed, priority, tags, due_at, recurrence,"
    " created_at, updated_at, completed_at, version, list_id, parent_id, position"
)
_ORDER = "ORDER BY created_at DESC, id DESC LIMIT"
GET = f"SELECT {_COLUMNS} FROM tasks WHERE id = ? AND user_id = ?"
FIRST_PAGE = f"SELECT {_COLUMNS} FROM tasks WHERE user_id = ? {_ORDER} ?"
NEXT_PAGE = f"SELECT {_COLUMNS} FROM tasks WHERE user_id = ? AND (created_at, id) < (?, ?) {_ORDER} ?"
INSERT = (
    "INSERT INTO tasks (id, user_id, title, description, priority, tags, due_at, recurrence, completed,"
    " created_at, updated_at, completed_at, version, title_key, search_key, position)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, NULL, 1, ?, ?, ?)"
)


def stamp(moment: datetime) -> str:
    """How a time is stored: UTC, always with microseconds and offset, so every value has one width."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def public(row: Sequence[Any]) -> TaskPublic:
    return TaskPublic(
        id=row[0],
        title=row[1],
        description=row[2],
        completed=row[3],
        priority=PRIORITIES[row[4]],
        tags=json.loads(row[5]),
        due_at=row[6],
        recurrence=row[7],
        created_at=row[8],
        updated_at=row[9],
        completed_at=row[10],
        version=row[11],
        list_id=row[12],
        parent_id=row[13],
        position=row[14],
    )


def create_app(dsn: str | None = None, secret: str | None = None) -> FastAPI:
    path = dsn or env("BENCH_DSN")
    db: aiosqlite.Connection = None  # type: ignore[assignment]  # opened by the lifespan

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal db
        db = await aiosqlite.connect(path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA busy_timeout=5000")
        try:
            yield
        finally:
            await db.close()

    app = FastAPI(title="bare aiosqlite", lifespan=lifespan)
    Owner = Annotated[str, Depends(owner_dependency(secret))]  # noqa: N806 (a type alias)

    @app.get("/api/v1/tasks/{task_id}", response_model=TaskPublic)
    async def get_task(task_id: UUID, owner: Owner) -> TaskPublic:
        rows = await db.execute_fetchall(GET, (str(task_id), owner))
        if not rows:
            raise HTTPException(404, "task not found")
        return public(next(iter(rows)))

    @app.get("/api/v1/tasks", response_model=TaskPagePublic)
    async def list_tasks(
        owner: Owner,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> TaskPagePublic:
        # One row past the page says whether another follows.
        if cursor is None:
            rows = list(await db.execute_fetchall(FIRST_PAGE, (owner, limit + 1)))
        else:
            created_at, task_id = decode_cursor(cursor)
            rows = list(await db.execute_fetchall(NEXT_PAGE, (owner, created_at, task_id, limit + 1)))
        items = rows[:limit]
        next_cursor = encode_cursor(items[-1][8], items[-1][0]) if len(rows) > limit else None
        return TaskPagePublic(items=[public(row) for row in items], next_cursor=next_cursor)

    @app.post("/api/v1/tasks", status_code=201, response_model=TaskPublic)
    async def create_task(body: NewTask, owner: Owner) -> TaskPublic:
        moment = datetime.now(UTC)
        now, position = stamp(moment), position_at(moment)  # last in the Inbox, as the service places it
        title = body.title.strip()
        tags = json.dumps(list(dict.fromkeys(tag.strip().lower() for tag in body.tags)))
        due_at = None if body.due_at is None else stamp(body.due_at)
        task_id = str(UUID(bytes=uuid6.uuid7().bytes))  # time-ordered, as the service's ids
        search_key = f"{title}\n{body.description or ''}".casefold()
        values = (task_id, owner, title, body.description, PRIORITIES.index(body.priority), tags, due_at)
        await db.execute(INSERT, (*values, now, now, title.casefold(), search_key, position))
        await db.commit()
        row = (task_id, title, body.description, False, values[4], tags, due_at, None, now, now, None, 1)
        row += (None, None, position)
        return public(row)

    return app
