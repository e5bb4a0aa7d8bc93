"""Shared-secret tokens a frontend signs itself: `aud` and `iss` are checked only when configured."""

from __future__ import annotations

import uuid

import jwt
import pytest

from entrypoints.http.app import create_app
from tests.api.helpers import TASKS, assert_problem
from tests.support.app import TEST_SECRET, running, test_settings
from tests.support.jwks_server import claims_for

ISSUER = "https://auth.example.com"
AUDIENCE = "https://tasks.example.com"
PASSWORD = "correct horse battery"


def frontend_token(**claims: object) -> dict[str, str]:
    """An HS256 token as a frontend's own auth library signs it with the shared secret."""
    token = jwt.encode(claims_for(f"front-{uuid.uuid4()}", **claims), TEST_SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


async def test_without_auth_audience_a_token_with_any_aud_and_iss_is_accepted(sqlite_url: str) -> None:
    app = create_app(test_settings(sqlite_url))
    headers = frontend_token(aud="https://some-frontend.example", iss="https://some-frontend.example")

    async with running(app) as client:
        response = await client.get(TASKS, headers=headers)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        pytest.param({"iss": ISSUER, "aud": AUDIENCE}, 200, id="matching"),
        pytest.param({"iss": ISSUER, "aud": ["https://other.example", AUDIENCE]}, 200, id="aud-list"),
        pytest.param({"iss": ISSUER, "aud": "https://other.example"}, 401, id="other-aud"),
        pytest.param({"iss": "https://impostor.example", "aud": AUDIENCE}, 401, id="other-iss"),
        pytest.param({"iss": ISSUER}, 401, id="no-aud"),
        pytest.param({"aud": AUDIENCE}, 401, id="no-iss"),
    ],
)
async def test_with_auth_issuer_and_audience_a_token_must_name_them(
    sqlite_url: str, claims: dict[str, object], status: int
) -> None:
    app = create_app(test_settings(sqlite_url, auth_issuer=ISSUER, auth_audience=AUDIENCE))

    async with running(app) as client:
        response = await client.get(TASKS, headers=frontend_token(**claims))

    if status == 401:
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    else:
        assert response.status_code == status


async def test_with_auth_issuer_and_audience_the_services_own_tokens_still_work(sqlite_url: str) -> None:
    app = create_app(test_settings(sqlite_url, auth_issuer=ISSUER, auth_audience=AUDIENCE))
    email = f"ada.{uuid.uuid4().hex[:12]}@example.com"

    async with running(app) as client:
        await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
        login = await client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        token = login.json()["access_token"]
        response = await client.get(TASKS, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)
