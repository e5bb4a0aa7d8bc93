"""Behind Better Auth alone, on PostgreSQL: no shared secret, so no local accounts, yet tasks work."""

from __future__ import annotations

import pytest

from entrypoints.http.app import create_app
from tests.support.app import running, test_settings
from tests.support.jwks_server import better_auth_token, ed25519_key, serving_jwks

pytestmark = pytest.mark.postgres


async def test_with_only_a_jwks_url_better_auth_users_manage_tasks_and_local_accounts_are_off(
    postgres_url: str,
) -> None:
    key = ed25519_key()
    with serving_jwks(key) as server:
        settings = test_settings(
            postgres_url,
            auth_jwt_secret=None,
            auth_jwks_url=server.url,
            auth_issuer=server.base_url,
            auth_audience=server.base_url,
        )
        app = create_app(settings)
        headers = {"Authorization": f"Bearer {better_auth_token(key, 'ba-user-1', server.base_url)}"}

        async with running(app) as client:
            created = await client.post("/api/v1/tasks", json={"title": "From Better Auth"}, headers=headers)
            listed = await client.get("/api/v1/tasks", headers=headers)
            register = await client.post(
                "/api/v1/auth/register", json={"email": "ada@example.com", "password": "correct horse"}
            )
            forged_hs256 = await client.get("/api/v1/tasks", headers={"Authorization": "Bearer a.b.c"})

    assert created.status_code == 201
    assert [task["title"] for task in listed.json()["items"]] == ["From Better Auth"]
    assert register.status_code == 404
    assert forged_hs256.status_code == 401
