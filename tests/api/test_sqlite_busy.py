"""SQLite under several processes: a write that cannot get the write lock within busy_timeout,
even when run again, is a 503 saying the database is busy, and nothing is changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from adapters.sqlmodel import sqlite as sqlite_adapter
from entrypoints.http.app import create_app
from tests.api.helpers import assert_problem
from tests.support.app import auth, running, test_settings
from tests.support.databases import migrate


async def test_a_write_that_another_process_keeps_locked_out_is_a_503_saying_the_database_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tasks.db"
    url = migrate(f"sqlite+aiosqlite:///{path}")
    short_wait = tuple(
        "PRAGMA busy_timeout=50" if pragma.startswith("PRAGMA busy_timeout") else pragma
        for pragma in sqlite_adapter.PRAGMAS
    )
    monkeypatch.setattr(sqlite_adapter, "PRAGMAS", short_wait)
    alice = auth("alice")
    async with running(create_app(test_settings(url))) as client:
        task = (await client.post("/api/v1/tasks", json={"title": "Kept"}, headers=alice)).json()
        other_process = sqlite3.connect(path, isolation_level=None)
        other_process.execute("BEGIN IMMEDIATE")  # holds the write lock, as another worker would
        try:
            changed = await client.patch(f"/api/v1/tasks/{task['id']}", json={"title": "Lost"}, headers=alice)
        finally:
            other_process.execute("ROLLBACK")
            other_process.close()
        after = await client.get(f"/api/v1/tasks/{task['id']}", headers=alice)

    body = assert_problem(changed, 503)
    assert "busy" in body["detail"]
    assert changed.headers["Retry-After"].isdigit()
    assert after.json()["title"] == "Kept"
