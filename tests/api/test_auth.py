"""Every tasks route wants a valid bearer token: anything else is a 401 problem with a Bearer challenge."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from tests.api.helpers import TASKS, assert_problem, task_url
from tests.support.app import TEST_SECRET, auth

OTHER_SECRET = "another-secret-that-is-also-long-enough-0123456789"
SOME_ID = str(uuid.uuid4())

ROUTES = [
    pytest.param("GET", TASKS, None, id="list"),
    pytest.param("POST", TASKS, {"title": "Buy milk"}, id="create"),
    pytest.param("GET", task_url(SOME_ID), None, id="get"),
    pytest.param("PATCH", task_url(SOME_ID), {"title": "Changed"}, id="patch"),
    pytest.param("PUT", task_url(SOME_ID), {"title": "Changed"}, id="put"),
    pytest.param("POST", f"{task_url(SOME_ID)}/toggle", None, id="toggle"),
    pytest.param("DELETE", task_url(SOME_ID), None, id="delete"),
]


def _token(claims: dict[str, Any], secret: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": "mallory", "exp": datetime.now(UTC) + timedelta(minutes=5)}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


EXPIRED = {"Authorization": f"Bearer {_token(_claims(exp=datetime.now(UTC) - timedelta(hours=1)))}"}
BAD_CREDENTIALS = [
    pytest.param({}, id="missing-header"),
    pytest.param({"Authorization": "Basic bWFsbG9yeTpwYXNzd29yZA=="}, id="basic-scheme"),
    pytest.param({"Authorization": "Bearer"}, id="bearer-without-token"),
    pytest.param({"Authorization": "Bearer not-a-jwt"}, id="garbage-token"),
    pytest.param(EXPIRED, id="expired-token"),
    pytest.param({"Authorization": f"Bearer {_token(_claims(), OTHER_SECRET)}"}, id="other-secret"),
    pytest.param(
        {"Authorization": f"Bearer {_token(_claims(), TEST_SECRET, 'HS384')}"}, id="other-algorithm"
    ),
    pytest.param({"Authorization": f"Bearer {_token(_claims(exp=None))}"}, id="no-expiry"),
    pytest.param({"Authorization": f"Bearer {_token(_claims(sub=None))}"}, id="no-subject"),
    pytest.param({"Authorization": f"Bearer {_token(_claims(sub=''))}"}, id="empty-subject"),
    pytest.param({"Authorization": f"Bearer {_token(_claims(), '', 'none')}"}, id="unsigned-alg-none"),
]


@pytest.mark.parametrize("credentials", BAD_CREDENTIALS)
@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
async def test_a_request_without_a_valid_bearer_token_is_unauthorized(
    client: httpx.AsyncClient, method: str, url: str, body: Any, credentials: dict[str, str]
) -> None:
    response = await client.request(method, url, json=body, headers=credentials)

    assert_problem(response, 401)
    # Only an expired token is told why (RFC 6750); anything else learns nothing from the answer.
    expired = 'Bearer error="invalid_token", error_description="The access token expired"'
    assert response.headers["WWW-Authenticate"] == (expired if credentials is EXPIRED else "Bearer")


async def test_an_unauthorized_create_stores_nothing(client: httpx.AsyncClient) -> None:
    subject = f"carol-{uuid.uuid4()}"
    expired = _token(_claims(sub=subject, exp=datetime.now(UTC) - timedelta(hours=1)))

    await client.post(TASKS, json={"title": "Buy milk"}, headers={"Authorization": f"Bearer {expired}"})

    assert (await client.get(TASKS, headers=auth(subject))).json()["items"] == []


async def test_a_token_signed_with_the_configured_secret_is_accepted(client: httpx.AsyncClient) -> None:
    token = _token(_claims(sub=f"dave-{uuid.uuid4()}"))

    response = await client.get(TASKS, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


@pytest.mark.parametrize("subject", ["u" * 256, "nul\u0000user"], ids=["256-characters", "nul"])
async def test_a_token_whose_subject_cannot_be_an_owner_is_unauthorized(
    client: httpx.AsyncClient, subject: str
) -> None:
    response = await client.post(TASKS, json={"title": "Buy milk"}, headers=auth(subject))

    assert_problem(response, 401)
