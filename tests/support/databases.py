"""Fresh, migrated databases for tests: a SQLite file, or a PostgreSQL database made and dropped per run."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from entrypoints.migrations import upgrade_to_head

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


# The session fixture (tests/conftest.py) that yields each backend's URL, and whether a
# transaction-mode pooler sits in front of it (the engine then runs in pooler mode).
_URL_FIXTURES = {"sqlite": "sqlite_url", "postgres": "postgres_url", "pgbouncer": "pgbouncer_url"}
_BEHIND_A_POOLER = {"pgbouncer"}


@dataclass(frozen=True, slots=True)
class Backend:
    url: str
    pooler: Literal["auto", "transaction", "none"]


def backend(request: pytest.FixtureRequest, name: str) -> Backend:
    """The migrated database a BACKENDS parameter names, with the engine's pooler setting for it."""
    url = request.getfixturevalue(_URL_FIXTURES[name])
    return Backend(url, "transaction" if name in _BEHIND_A_POOLER else "auto")


def off_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Run blocking set-up (which may itself call asyncio.run) outside any running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def migrate(url: str) -> str:
    off_loop(upgrade_to_head, url)
    return url


def require_postgres() -> str:
    """The admin URL for PostgreSQL tests; under CI a missing one fails instead of skipping."""
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    if IN_CI:
        pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
    pytest.skip("TEST_DATABASE_URL is not set")


def asyncpg_dsn(url: str) -> str:
    """The URL as asyncpg.connect() takes it (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """Create an empty database beside the admin one, yield its URL, drop it after."""
    name = f"tasks_test_{uuid.uuid4().hex[:12]}"
    try:
        off_loop(asyncio.run, _admin(admin_url, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error}")
    url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        off_loop(asyncio.run, _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
