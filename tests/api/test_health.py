"""Liveness answers without the database; readiness says whether the database answers."""

import httpx

from entrypoints.http.app import create_app
from tests.api.helpers import assert_problem
from tests.support.app import running, test_settings

UNREACHABLE_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/none"  # port 1 refuses at once


async def test_the_service_is_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_service_is_ready_when_its_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


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
