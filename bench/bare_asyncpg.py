"""Baseline: FastAPI + asyncpg written bare (no layers), answering the service's task routes and JSON.

Serve it with `uvicorn bench.bare_asyncpg:create_app --factory`; BENCH_DSN names the database,
BENCH_SECRET the token secret, BENCH_POOL_SIZE the pool (20), BENCH_POOLER=transaction a PgBouncer.
"""

# No `from __future__ import annotations`: FastAPI must see the routes' `Owner` alias, which is local.
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import uuid6
from fastapi import Depends, FastAPI, HTTPException, Query

from bench.bare_common import PRIORITIES, NewTask, decode_cursor, encode_cursor, env, owner_dependency
from domain.task import position_at
from entrypoints.http.schemas import TaskPagePublic, TaskPublic

# The service's tasks columns, and the one index its default listing and keyset pages use.
SCHEMA = (
    """CREATE TABLE tasks (
        id uuid PRIMARY KEY,
        user_id varchar(255) NOT NULL,
        title varchar(200) NOT NULL,
        description varchar(2000),
        priority smallint NOT NULL CHECK (priority BETWEEN 0 AND 2),
        tags jsonb NOT NULL,
        due_at timestamptz,
        recurrence varchar(10),
        completed boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        completed_at timestamptz,
        version integer NOT NULL,
        title_key text COLLATE "C" NOT NULL,
        search_key text COLLATE "C" NOT NULL,
        list_id uuid,
        parent_id uuid,
        position text COLLATE "C" NOT NULL
    )""",
    "CREATE INDEX tasks_owner_recent ON tasks (user_id, created_at DESC, id DESC)",
)
_COLUMNS = (
    "id, title, description, completed, priority, tags, due_at, recurrence,"
    " created_at, updated_at, completed_at, version, list_id, parent_id, position"
)
_ORDER = "ORDER BY created_at DESC, id DESC LIMIT"
GET = f"SELECT {_COLUMNS} FROM tasks WHERE id = $1 AND user_id = $2"
FIRST_PAGE = f"SELECT {_COLUMNS} FROM tasks WHERE user_id = $1 {_ORDER} $2"
NEXT_PAGE = f"SELECT {_COLUMNS} FROM tasks WHERE user_id = $1 AND (created_at, id) < ($2, $3) {_ORDER} $4"
INSERT = (
    "INSERT INTO tasks (id, user_id, title, description, priority, tags, due_at, completed,"
    " created_at, updated_at, version, title_key, search_key, position)"
    f" VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8, $8, 1, $9, $10, $11) RETURNING {_COLUMNS}"
)


def public(row: Any) -> TaskPublic:
    return TaskPublic(
        id=row[0],
        title=row[1],
        description=row[2],
        completed=row[3],
        priority=PRIORITIES[row[4]],
        tags=json.loads(row[5]),  # asyncpg hands jsonb over as text
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


def create_app(
    dsn: str | None = None, secret: str | None = None, pool_size: int | None = None, pooler: str | None = None
) -> FastAPI:
    dsn = dsn or env("BENCH_DSN")
    size = pool_size or int(env("BENCH_POOL_SIZE", "20"))
    # Behind PgBouncer in transaction mode a connection's prepared statements may be gone next time.
    cache = {"statement_cache_size": 0} if (pooler or env("BENCH_POOLER", "none")) == "transaction" else {}
    pool: asyncpg.Pool = None  # type: ignore[assignment]  # opened by the lifespan

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size, **cache)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="bare asyncpg", lifespan=lifespan)
    Owner = Annotated[str, Depends(owner_dependency(secret))]  # noqa: N806 (a type alias)

    @app.get("/api/v1/tasks/{task_id}", response_model=TaskPublic)
    async def get_task(task_id: UUID, owner: Owner) -> TaskPublic:
        row = await pool.fetchrow(GET, task_id, owner)
        if row is None:
            raise HTTPException(404, "task not found")
        return public(row)

    @app.get("/api/v1/tasks", response_model=TaskPagePublic)
    async def list_tasks(
        owner: Owner,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Query(max_length=512)] = None,
    ) -> TaskPagePublic:
        # One row past the page says whether another follows.
        if cursor is None:
            rows = await pool.fetch(FIRST_PAGE, owner, limit + 1)
        else:
            created_at, task_id = decode_cursor(cursor)
            try:
                after = (datetime.fromisoformat(created_at), UUID(task_id))
            except ValueError:
                raise HTTPException(400, "invalid cursor") from None
            rows = await pool.fetch(NEXT_PAGE, owner, *after, limit + 1)
        items = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_cursor(items[-1]["created_at"].isoformat(), str(items[-1]["id"]))
        return TaskPagePublic(items=[public(row) for row in items], next_cursor=next_cursor)

    @app.post("/api/v1/tasks", status_code=201, response_model=TaskPublic)
    async def create_task(body: NewTask, owner: Owner) -> TaskPublic:
        now = datetime.now(UTC)
        title = body.title.strip()
        tags = list(dict.fromkeys(tag.strip().lower() for tag in body.tags))
        row = await pool.fetchrow(
            INSERT,
            UUID(bytes=uuid6.uuid7().bytes),  # time-ordered, as the service's ids
            owner,
            title,
            body.description,
            PRIORITIES.index(body.priority),
            json.dumps(tags),
            None if body.due_at is None else body.due_at.astimezone(UTC),
            now,
            title.casefold(),
            f"{title}\n{body.description or ''}".casefold(),
            position_at(now),  # last in the Inbox, as the service places a new task
        )
        return public(row)

    return app
