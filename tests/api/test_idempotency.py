"""POST /api/v1/tasks with an Idempotency-Key: one task per key, and every retry gets the first answer."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from entrypoints.http.app import create_app
from tests.api.helpers import TASKS, assert_invalid, task_url
from tests.conftest import BACKENDS
from tests.support.app import running, test_settings
from tests.support.databases import backend
from tests.unit.fakes import FakeClock

TTL_SECONDS = 60


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def a_key() -> str:
    return str(uuid.uuid4())


def answer(response: httpx.Response) -> tuple[int, Any, str | None, str | None]:
    """What a client sees of a creation: status, body, Location and ETag."""
    return (
        response.status_code,
        response.json(),
        response.headers.get("Location"),
        response.headers.get("ETag"),
    )


async def listed_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get(TASKS, params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()["items"]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
async def clocked_client(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with keys kept for TTL_SECONDS, and its clock swapped for one the test moves."""
    database = backend(request, request.param)
    settings = test_settings(
        database.url, database_pooler=database.pooler, idempotency_key_ttl_seconds=TTL_SECONDS
    )
    app: FastAPI = create_app(settings)
    app.state.container.adapters.clock.override(providers.Object(clock))
    async with running(app) as client:
        yield client


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_no_second_task(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    headers = keyed(alice, a_key())
    first = await client.post(TASKS, json={"title": "Buy milk", "tags": ["home"]}, headers=headers)

    retried = await client.post(TASKS, json={"title": "Buy milk", "tags": ["home"]}, headers=headers)

    assert first.status_code == 201, first.text
    assert answer(retried) == answer(first)
    assert answer(first)[2:] == (task_url(first.json()["id"]), '"1"')
    assert await listed_ids(client, alice) == [first.json()["id"]]


async def test_a_retry_gets_the_task_as_it_was_created_even_after_it_changed(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    headers = keyed(alice, a_key())
    first = await client.post(TASKS, json={"title": "Buy milk"}, headers=headers)
    changed = await client.patch(task_url(first.json()["id"]), json={"title": "Buy oat milk"}, headers=alice)

    retried = await client.post(TASKS, json={"title": "Buy milk"}, headers=headers)

    assert changed.status_code == 200, changed.text
    assert answer(retried) == answer(first)
    assert (retried.json()["title"], retried.headers["ETag"]) == ("Buy milk", '"1"')


async def test_a_body_that_means_the_same_task_is_the_same_request(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    headers = keyed(alice, a_key())
    first = await client.post(TASKS, json={"title": "Pay rent", "tags": ["Home"]}, headers=headers)

    retried = await client.post(
        TASKS, json={"tags": ["home"], "priority": "medium", "title": " Pay rent "}, headers=headers
    )

    assert answer(retried) == answer(first)
    assert len(await listed_ids(client, alice)) == 1


async def test_the_same_key_with_another_body_is_422_and_creates_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    headers = keyed(alice, a_key())
    first = await client.post(TASKS, json={"title": "Buy milk"}, headers=headers)

    reused = await client.post(TASKS, json={"title": "Buy bread"}, headers=headers)

    assert_invalid(reused, "Idempotency-Key")
    assert await listed_ids(client, alice) == [first.json()["id"]]


async def test_different_keys_create_different_tasks(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    body = {"title": "Buy milk"}

    one = await client.post(TASKS, json=body, headers=keyed(alice, a_key()))
    other = await client.post(TASKS, json=body, headers=keyed(alice, a_key()))

    assert (one.status_code, other.status_code) == (201, 201)
    assert sorted(await listed_ids(client, alice)) == sorted([one.json()["id"], other.json()["id"]])


async def test_bob_sending_alices_key_creates_his_own_task(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    key = a_key()
    alices = await client.post(TASKS, json={"title": "Buy milk"}, headers=keyed(alice, key))

    bobs = await client.post(TASKS, json={"title": "Buy milk"}, headers=keyed(bob, key))

    assert bobs.status_code == 201, bobs.text
    assert bobs.json()["id"] != alices.json()["id"]
    assert await listed_ids(client, bob) == [bobs.json()["id"]]
    assert await listed_ids(client, alice) == [alices.json()["id"]]


async def test_twenty_concurrent_creates_with_one_key_make_exactly_one_task(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    headers = keyed(alice, a_key())

    answers = await asyncio.gather(
        *(client.post(TASKS, json={"title": "contended"}, headers=headers) for _ in range(20))
    )

    assert Counter(response.status_code for response in answers) == {201: 20}
    assert len({response.json()["id"] for response in answers}) == 1
    assert len({(response.headers["Location"], response.headers["ETag"]) for response in answers}) == 1
    assert await listed_ids(client, alice) == [answers[0].json()["id"]]


async def test_a_key_still_within_its_lifetime_answers_with_the_first_task(
    clocked_client: httpx.AsyncClient, clock: FakeClock, alice: dict[str, str]
) -> None:
    headers = keyed(alice, a_key())
    first = await clocked_client.post(TASKS, json={"title": "Buy milk"}, headers=headers)
    clock.advance(TTL_SECONDS - 1)

    retried = await clocked_client.post(TASKS, json={"title": "Buy milk"}, headers=headers)

    assert answer(retried) == answer(first)
    assert len(await listed_ids(clocked_client, alice)) == 1


async def test_an_expired_key_creates_a_new_task_and_answers_with_that_from_then(
    clocked_client: httpx.AsyncClient, clock: FakeClock, alice: dict[str, str]
) -> None:
    headers = keyed(alice, a_key())
    first = await clocked_client.post(TASKS, json={"title": "Buy milk"}, headers=headers)
    clock.advance(TTL_SECONDS)

    anew = await clocked_client.post(TASKS, json={"title": "Buy bread"}, headers=headers)
    retried = await clocked_client.post(TASKS, json={"title": "Buy bread"}, headers=headers)

    assert anew.status_code == 201, anew.text
    assert anew.json()["id"] != first.json()["id"]
    assert answer(retried) == answer(anew)
    assert sorted(await listed_ids(clocked_client, alice)) == sorted([first.json()["id"], anew.json()["id"]])


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 256, id="longer-than-255"),
        pytest.param("two words", id="with-a-space"),
        pytest.param("tab\there", id="with-a-control-character"),
    ],
)
async def test_a_malformed_key_is_422_and_creates_nothing(
    client: httpx.AsyncClient, alice: dict[str, str], key: str
) -> None:
    response = await client.post(TASKS, json={"title": "Buy milk"}, headers=keyed(alice, key))

    assert_invalid(response, "Idempotency-Key")
    assert await listed_ids(client, alice) == []


async def test_a_key_of_255_visible_characters_is_accepted(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    every_visible_character = "".join(chr(code) for code in range(0x21, 0x7F))
    key = (every_visible_character * 3)[:255]

    response = await client.post(TASKS, json={"title": "Buy milk"}, headers=keyed(alice, key))

    assert response.status_code == 201, response.text


async def test_the_openapi_document_declares_the_optional_key_header(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    parameters = schema["paths"][TASKS]["post"]["parameters"]

    header = next(parameter for parameter in parameters if parameter["name"] == "Idempotency-Key")
    assert (header["in"], header.get("required", False)) == ("header", False)
    text_schema = next(option for option in header["schema"]["anyOf"] if option.get("type") == "string")
    assert (text_schema["minLength"], text_schema["maxLength"]) == (1, 255)
    assert text_schema["pattern"] == r"^[\x21-\x7E]+$"
