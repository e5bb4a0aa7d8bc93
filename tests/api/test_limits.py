"""What a client sends is bounded: bodies over the limit are refused before they are parsed, and a
request with thousands of mistakes gets a short answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from entrypoints.http.app import create_app
from tests.api.helpers import TASKS, assert_invalid, assert_problem
from tests.support.app import running, test_settings

REGISTER = "/api/v1/auth/register"
LIMIT = 4096


@pytest.fixture
async def small(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app that takes bodies of at most LIMIT bytes."""
    async with running(create_app(test_settings(sqlite_url, http_max_body_bytes=LIMIT))) as client:
        yield client


def a_body_of(size: int) -> bytes:
    """A JSON task of exactly `size` bytes."""
    shell = json.dumps({"title": "t", "description": ""}).encode()
    return json.dumps({"title": "t", "description": "d" * (size - len(shell))}).encode()


async def test_a_body_over_the_default_limit_is_a_413_before_anyone_is_asked_who_they_are(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"email": "' + b"a" * (1024 * 1024) + b'@example.com", "password": "x"}'

    for path in (REGISTER, TASKS):
        response = await client.post(path, content=body, headers={"Content-Type": "application/json"})

        problem = assert_problem(response, 413)
        assert "1048576 bytes" in problem["detail"]


async def test_the_limit_is_the_configured_one_and_a_body_at_it_is_read(
    small: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    headers = {**alice, "Content-Type": "application/json"}
    at_limit = await small.post(TASKS, content=a_body_of(LIMIT), headers=headers)
    over = await small.post(TASKS, content=a_body_of(LIMIT + 1), headers=headers)

    assert at_limit.status_code in (201, 422), at_limit.text  # read and judged on its content
    assert "4096 bytes" in assert_problem(over, 413)["detail"]


async def test_a_streamed_body_without_a_length_is_counted_as_it_arrives(
    small: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            sent.append(1024)
            yield b" " * 1024

    headers = {**alice, "Content-Type": "application/json"}
    response = await small.post(TASKS, content=chunks(), headers=headers)

    assert_problem(response, 413)
    assert sum(sent) < 64 * 1024  # it stopped reading once past the limit


async def test_thousands_of_unknown_fields_get_twenty_errors_and_how_many_more_there_were(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    fields = {f"unknown_{n}": n for n in range(5000)}

    response = await client.post(TASKS, json={"title": "t", **fields}, headers=alice)

    problem = assert_invalid(response)
    assert len(problem["errors"]) == 20
    assert problem["errors_not_listed"] == 5000 - 20
    assert all(error["loc"][0] == "body" for error in problem["errors"])


async def test_a_few_errors_are_all_listed_and_nothing_says_more(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(TASKS, json={"title": "", "priority": "urgent"}, headers=alice)

    problem = assert_invalid(response)
    assert len(problem["errors"]) == 2
    assert "errors_not_listed" not in problem


async def test_password_checks_beyond_the_threads_and_their_queue_are_a_503_with_retry_after(
    sqlite_url: str,
) -> None:
    settings = test_settings(sqlite_url, auth_password_concurrency=1, auth_password_queue=1)
    async with running(create_app(settings)) as client:
        guesses = [
            client.post("/api/v1/auth/token", data={"username": "ada@example.com", "password": f"guess {n}"})
            for n in range(6)
        ]
        answers = await asyncio.gather(*guesses)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(401) >= 2  # the thread's and the queue's place were used
    assert 503 in statuses
    busy = next(answer for answer in answers if answer.status_code == 503)
    assert_problem(busy, 503)
    assert busy.headers["Retry-After"].isdigit()


async def test_headers_over_the_limit_are_a_431_and_the_route_never_runs(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    padding = {f"x-padding-{n}": "p" * 1000 for n in range(17)}  # 17 KB of headers

    refused = await client.post(TASKS, json={"title": "never made"}, headers={**alice, **padding})
    listed = await client.get(TASKS, headers=alice)

    problem = assert_problem(refused, 431)
    assert "16384 bytes" in problem["detail"]
    assert listed.json()["items"] == []
