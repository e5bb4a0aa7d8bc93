"""Logging in and registering are rate-limited per client address and per account (429 with
Retry-After), and expired rows are purged while the service runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from application.idempotency import IdempotentCreation, request_hash
from application.limits import Rate
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import BACKENDS
from tests.support.app import RATE_SETTINGS, running, test_settings
from tests.support.builders import a_task, draft_of, new_owner
from tests.support.databases import backend

PASSWORD = "correct horse battery"


def _settings(request: pytest.FixtureRequest, name: str, **overrides: object) -> Any:
    database = backend(request, name)
    return test_settings(database.url, database_pooler=database.pooler, **overrides)


async def _log_in(
    client: httpx.AsyncClient, email: str, *, forwarded_for: str | None = None
) -> httpx.Response:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    return await client.post(
        "/api/v1/auth/token", data={"username": email, "password": "wrong password"}, headers=headers
    )


@pytest.mark.parametrize("name", BACKENDS)
async def test_past_its_rate_an_address_gets_429_with_retry_after_for_any_account(
    request: pytest.FixtureRequest, name: str
) -> None:
    app = create_app(_settings(request, name, auth_login_rate_per_address="2/minute"))
    async with running(app) as client:
        # The client's own X-Forwarded-For is ignored: no proxy is trusted.
        answers = [
            await _log_in(client, f"{new_owner()}@example.com", forwarded_for=f"203.0.113.{i}")
            for i in range(3)
        ]

    assert [answer.status_code for answer in answers] == [401, 401, 429]
    refused = answers[2]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 30  # one of two a minute is back within 30 s


@pytest.mark.parametrize("name", BACKENDS)
async def test_past_its_rate_an_account_gets_429_from_any_address(
    request: pytest.FixtureRequest, name: str
) -> None:
    app = create_app(
        _settings(request, name, auth_login_rate_per_account="2/minute", http_trusted_proxies=["127.0.0.1"])
    )
    email = f"{new_owner()}@example.com"
    async with running(app) as client:
        registered = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
        answers = [await _log_in(client, email.upper(), forwarded_for=f"203.0.113.{i}") for i in range(3)]
        right_password = await client.post(
            "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
        )
        another_account = await _log_in(client, f"{new_owner()}@example.com")

    assert registered.status_code == 201
    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert right_password.status_code == 429  # the account's allowance is spent, whoever asks
    assert another_account.status_code == 401


@pytest.mark.parametrize("name", BACKENDS)
async def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_on_its_own(
    request: pytest.FixtureRequest, name: str
) -> None:
    app = create_app(
        _settings(request, name, auth_login_rate_per_address="1/minute", http_trusted_proxies=["127.0.0.0/8"])
    )
    async with running(app) as client:
        first = await _log_in(client, "a@example.com", forwarded_for="203.0.113.7")
        # What the client wrote before the proxy's own entry is not believed: it is still 203.0.113.7.
        spoofed = await _log_in(client, "b@example.com", forwarded_for="198.51.100.1, 203.0.113.7")
        another_client = await _log_in(client, "c@example.com", forwarded_for="203.0.113.8")

    assert (first.status_code, spoofed.status_code, another_client.status_code) == (401, 429, 401)


@pytest.mark.parametrize("name", BACKENDS)
async def test_registering_the_same_email_too_often_is_429_before_any_answer_about_the_email(
    request: pytest.FixtureRequest, name: str
) -> None:
    app = create_app(_settings(request, name, auth_register_rate_per_account="1/hour"))
    email = f"{new_owner()}@example.com"
    async with running(app) as client:
        first = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
        again = await client.post(
            "/api/v1/auth/register", json={"email": email.title(), "password": PASSWORD}
        )
        invalid = await client.post("/api/v1/auth/register", json={"email": email, "password": "short"})

    assert (first.status_code, again.status_code, invalid.status_code) == (201, 429, 422)
    assert int(again.headers["Retry-After"]) == 3600


def test_by_default_every_kind_of_attempt_is_limited() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert all(Rate.parse(getattr(settings, name)) is not None for name in RATE_SETTINGS)


@pytest.mark.parametrize("name", BACKENDS)
async def test_a_serving_app_purges_expired_idempotency_keys_on_its_own(
    request: pytest.FixtureRequest, name: str
) -> None:
    settings = _settings(request, name, purge_interval_seconds=1)
    database = create_database(settings.database_url, pooler=settings.database_pooler)
    owner, task = new_owner(), None
    try:
        task = a_task(owner)
        expired = IdempotentCreation(
            key="old", request_hash=request_hash(draft_of(task)), task=task, created_at=task.created_at,
            expires_at=task.created_at + timedelta(hours=1),
        )  # fmt: skip
        async with SqlUnitOfWork(owner, database=database) as uow:
            assert await uow.idempotency_keys.claim(expired) is None
            await uow.commit()

        async with running(create_app(settings)):
            for _ in range(40):  # the first purge comes within one interval
                await asyncio.sleep(0.1)
                if not await _still_there(database, owner, expired):
                    break

        assert not await _still_there(database, owner, expired)
    finally:
        await database.close()


async def _still_there(database: Any, owner: str, creation: IdempotentCreation) -> bool:
    """Whether a claim at the key's creation time (when it was live) would get it back."""
    probe = IdempotentCreation(
        key=creation.key, request_hash="0" * 64, task=a_task(owner), created_at=creation.created_at,
        expires_at=creation.expires_at,
    )  # fmt: skip
    async with SqlUnitOfWork(owner, database=database) as uow:
        return await uow.idempotency_keys.claim(probe) is not None
