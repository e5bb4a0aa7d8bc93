"""Liveness answers without the database; readiness says whether the database answers."""

import httpx
from fastapi import FastAPI
from sqlalchemy import bindparam, update
from sqlalchemy.sql import column, table

from adapters.sqlmodel.schema import SCHEMA_REVISION
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.unit_of_work import UnscopedWork
from entrypoints.http.app import create_app
from tests.api.helpers import assert_problem
from tests.support.app import running, test_settings

_SET_REVISION = Statement(
    update(table("alembic_version", column("version_num"))).values(version_num=bindparam("revision"))
)
UNREACHABLE_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/none"  # port 1 refuses at once


async def test_the_service_is_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_service_is_ready_when_its_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "schema": "ok"}}


async def test_the_service_is_not_ready_when_its_database_cannot_be_reached() -> None:
    app = create_app(test_settings(UNREACHABLE_DATABASE))

    async with running(app) as client:
        response = await client.get("/health/ready")

    body = assert_problem(response, 503)
    assert body["checks"]["database"] != "ok"
    assert "127.0.0.1" not in response.text


async def test_the_service_is_live_even_when_its_database_cannot_be_reached() -> None:
    app = create_app(test_settings(UNREACHABLE_DATABASE))

    async with running(app) as client:
        response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_service_is_not_ready_when_its_schema_is_found_behind_this_release(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ready = await client.get("/health/ready")
    database = app.state.container.adapters.database()
    async with UnscopedWork(database=database) as work:
        await work.transaction.execute(_SET_REVISION, {"revision": "0008"})
        await work.commit()
    try:
        behind = await client.get("/health/ready")
    finally:
        async with UnscopedWork(database=database) as work:
            await work.transaction.execute(_SET_REVISION, {"revision": SCHEMA_REVISION})
            await work.commit()

    assert ready.status_code == 200
    body = assert_problem(behind, 503)
    assert body["checks"] == {"database": "ok", "schema": "behind"}
    assert "tasks migrate" in body["detail"]
