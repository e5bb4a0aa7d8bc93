"""Each app made by create_app answers from its own container, whatever other apps exist."""

import httpx

from entrypoints.http.app import create_app
from tests.support.app import test_settings


async def test_an_app_keeps_its_own_database_after_another_app_is_built(client: httpx.AsyncClient) -> None:
    create_app(test_settings("postgresql+asyncpg://postgres@127.0.0.1:1/none"))

    response = await client.get("/health/ready")

    assert response.status_code == 200
