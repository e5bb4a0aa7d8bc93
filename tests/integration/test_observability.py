"""What operators see: a log line per request, slow statements with their time, JSON when asked."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from sqlalchemy import literal_column, select

from adapters.sqlmodel.setup import PoolOptions, create_database
from adapters.sqlmodel.statements import Statement
from entrypoints.http.app import create_app
from entrypoints.observability import configure_logging
from tests.support.app import auth, running, test_settings


@pytest.fixture
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_every_request_is_logged_with_method_path_status_duration_and_request_id(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(test_settings(sqlite_url))
    caplog.set_level(logging.INFO, logger="tasks.http")

    async with running(app) as client:
        response = await client.get("/api/v1/tasks", headers={**auth("logged"), "X-Request-ID": "req-42"})

    [record] = [
        r for r in caplog.records if r.name == "tasks.http" and getattr(r, "path", None) == "/api/v1/tasks"
    ]
    assert response.status_code == 200
    assert (record.method, record.status) == ("GET", 200)  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    assert "req-42" in response.headers["X-Request-ID"]


async def test_a_statement_slower_than_the_threshold_is_logged_with_its_duration(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    slow = create_database(sqlite_url, PoolOptions(null_pool=True), slow_statement_ms=0)
    quick = create_database(sqlite_url, PoolOptions(null_pool=True), slow_statement_ms=60_000)
    caplog.set_level(logging.WARNING, logger="tasks.sql.slow")

    for database, said in ((slow, "'slow one'"), (quick, "'quick one'")):
        transaction = await database.begin("someone")
        try:
            await transaction.fetch(Statement(select(literal_column(said).label("said"))))
        finally:
            await database.end(transaction)
        await database.close()

    messages = [record.getMessage() for record in caplog.records if record.name == "tasks.sql.slow"]
    assert any("SELECT 'slow one'" in message and "ms" in message for message in messages)
    assert not any("quick one" in message for message in messages)


def test_json_logs_are_one_object_per_line_with_the_request_id_and_extra_fields(
    restore_logging: object, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    marker = uuid.uuid4().hex

    logging.getLogger("tasks.http").info("GET /x 200", extra={"status": 200, "marker": marker})

    line = next(line for line in capsys.readouterr().err.splitlines() if marker in line)
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"], entry["status"]) == (
        "INFO",
        "tasks.http",
        "GET /x 200",
        200,
    )
    assert "request_id" in entry


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_path_with_a_line_break_cannot_write_a_second_log_line(
    restore_logging: object,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    sqlite_url: str,
    log_format: str,
) -> None:
    configure_logging("INFO", log_format)  # type: ignore[arg-type]
    caplog.set_level(logging.WARNING, logger="httpx")  # the test client's own line, percent-encoded
    marker = uuid.uuid4().hex
    forged = f"{marker}%0A2026-01-01 00:00:00,000 INFO tasks.http [-] GET /admin 200%E2%80%A8%1B[2J"
    app = create_app(test_settings(sqlite_url))

    async with running(app) as client:
        await client.get(f"/api/v1/tasks/{forged}", headers=auth("logged"))

    lines = capsys.readouterr().err.split("\n")  # as a log reader splits them
    logged = [line for line in lines if marker in line]
    assert len(logged) == 1, lines
    assert not any(line.startswith("2026-01-01") for line in lines)
    assert "\x1b" not in logged[0]
    assert "\u2028" not in logged[0]
