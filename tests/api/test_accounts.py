"""Local accounts over HTTP: register, log in with the password form, and ask who one is."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.api.helpers import TASKS, assert_problem

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
ME = "/api/v1/users/me"
PASSWORD = "correct horse battery"


def an_email() -> str:
    return f"ada.{uuid.uuid4().hex[:12]}@example.com"


async def registered(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post(REGISTER, json={"email": email, "password": password, "name": "Ada"})
    assert response.status_code == 201, response.text
    account: dict[str, Any] = response.json()
    return account


async def logged_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post(TOKEN, data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_registering_answers_the_account_without_any_password_or_hash(
    client: httpx.AsyncClient,
) -> None:
    email = an_email()

    response = await client.post(REGISTER, json={"email": email, "password": PASSWORD, "name": "Ada"})

    assert response.status_code == 201
    account = response.json()
    assert set(account) == {"id", "email", "name", "created_at"}
    assert (account["email"], account["name"]) == (email, "Ada")
    uuid.UUID(account["id"])
    assert "argon2" not in response.text
    assert PASSWORD not in response.text


async def test_an_email_registered_in_another_case_is_a_conflict(client: httpx.AsyncClient) -> None:
    email = an_email()
    await registered(client, email)

    response = await client.post(REGISTER, json={"email": email.upper(), "password": PASSWORD})

    assert_problem(response, 409)


async def test_concurrent_registrations_of_one_email_make_exactly_one_account(
    client: httpx.AsyncClient,
) -> None:
    email = an_email()
    spellings = [email, email.upper(), email.title()] * 2

    answers = await asyncio.gather(
        *(client.post(REGISTER, json={"email": spelling, "password": PASSWORD}) for spelling in spellings)
    )

    assert Counter(answer.status_code for answer in answers) == {201: 1, 409: len(spellings) - 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ada@example.com", "password": "1234567"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@example.test", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": PASSWORD, "role": "admin"}, "role"),
        ({"email": "ada@example.com", "password": PASSWORD, "id": "x"}, "id"),
        ({"password": PASSWORD}, "email"),
    ],
)
async def test_an_invalid_registration_is_refused_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await client.post(REGISTER, json=body)

    problem = assert_problem(response, 422)
    assert any(error["loc"][-1] == field for error in problem["errors"])


async def test_logging_in_with_the_password_form_gives_a_bearer_token(client: httpx.AsyncClient) -> None:
    email = an_email()
    await registered(client, email)

    response = await client.post(TOKEN, data={"username": email.upper(), "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2


async def test_a_wrong_password_and_an_unknown_email_get_the_same_401(client: httpx.AsyncClient) -> None:
    email = an_email()
    await registered(client, email)

    wrong_password = await client.post(TOKEN, data={"username": email, "password": "wrong horse battery"})
    unknown_email = await client.post(TOKEN, data={"username": an_email(), "password": PASSWORD})

    for response in (wrong_password, unknown_email):
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong_password.json() == unknown_email.json()


async def test_a_wrong_password_and_an_unknown_email_each_pay_for_one_hash_check(
    client: httpx.AsyncClient, app: Any
) -> None:
    email = an_email()
    await registered(client, email)
    hasher = app.state.container.adapters.passwords()
    checks: list[str | None] = []
    verify = hasher.verify_and_update

    async def counting(password: str, password_hash: str | None) -> tuple[bool, str | None]:
        checks.append(password_hash)
        return await verify(password, password_hash)  # type: ignore[no-any-return]

    hasher.verify_and_update = counting
    try:
        await client.post(TOKEN, data={"username": email, "password": "wrong horse battery"})
        await client.post(TOKEN, data={"username": an_email(), "password": PASSWORD})
    finally:
        hasher.verify_and_update = verify

    assert len(checks) == 2
    assert checks[0] is not None
    assert checks[1] is None  # the hasher checks against its decoy, costing the same


async def test_me_answers_the_local_account(client: httpx.AsyncClient) -> None:
    email = an_email()
    account = await registered(client, email)

    response = await client.get(ME, headers=await logged_in(client, email))

    assert response.status_code == 200
    assert response.json() == account


async def test_me_without_a_token_is_unauthorized(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)

    assert_problem(response, 401)


async def test_a_newcomer_registers_logs_in_and_manages_their_own_tasks(
    client: httpx.AsyncClient, bob: dict[str, str]
) -> None:
    email = an_email()
    account = await registered(client, email)
    headers = await logged_in(client, email)

    created = await client.post(TASKS, json={"title": "Buy milk"}, headers=headers)
    listed = await client.get(TASKS, headers=headers)
    bobs_view = await client.get(f"{TASKS}/{created.json()['id']}", headers=bob)

    assert created.status_code == 201
    assert [task["id"] for task in listed.json()["items"]] == [created.json()["id"]]
    assert_problem(bobs_view, 404)
    me = await client.get(ME, headers=headers)
    assert me.json()["id"] == account["id"]


async def test_neither_the_password_nor_its_hash_reaches_the_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    email = an_email()
    caplog.set_level(logging.DEBUG)

    await registered(client, email)
    await logged_in(client, email)
    await client.post(TOKEN, data={"username": email, "password": "wrong horse battery"})

    assert PASSWORD not in caplog.text
    assert "wrong horse battery" not in caplog.text
    assert "$argon2" not in caplog.text


@pytest.mark.parametrize("username", ["a\x00@example.com", "x" * 400 + "@example.com", "no-at-sign"])
async def test_a_login_name_no_account_could_have_is_the_same_401(
    client: httpx.AsyncClient, username: str
) -> None:
    response = await client.post(TOKEN, data={"username": username, "password": PASSWORD})

    assert_problem(response, 401)


async def test_a_bearer_token_far_longer_than_any_real_one_is_refused_unread(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(TASKS, headers={"Authorization": "Bearer " + "a" * 9000})

    assert_problem(response, 401)
