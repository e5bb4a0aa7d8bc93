"""Every answer carries X-Request-ID: the caller's own when it sent a usable one, a fresh one otherwise."""

import uuid

import httpx
import pytest

from tests.api.helpers import TASKS, task_url


@pytest.mark.parametrize(
    ("method", "url", "body", "authorized", "status"),
    [
        pytest.param("POST", TASKS, {"title": "Buy milk"}, True, 201, id="created"),
        pytest.param("GET", TASKS, None, True, 200, id="listed"),
        pytest.param("GET", TASKS, None, False, 401, id="unauthorized"),
        pytest.param("GET", task_url(str(uuid.uuid4())), None, True, 404, id="not-found"),
        pytest.param("POST", TASKS, {"title": ""}, True, 422, id="invalid"),
        pytest.param("GET", "/health/live", None, False, 200, id="health"),
        pytest.param("GET", "/no/such/route", None, False, 404, id="unknown-route"),
    ],
)
async def test_every_answer_carries_a_request_id(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    method: str,
    url: str,
    body: object,
    authorized: bool,
    status: int,
) -> None:
    response = await client.request(method, url, json=body, headers=alice if authorized else {})

    assert response.status_code == status
    assert response.headers["X-Request-ID"]


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/health/live")

    second = await client.get("/health/live")

    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("status", [200, 404])
async def test_an_incoming_request_id_is_echoed(
    client: httpx.AsyncClient, alice: dict[str, str], status: int
) -> None:
    url = TASKS if status == 200 else task_url(str(uuid.uuid4()))

    response = await client.get(url, headers={**alice, "X-Request-ID": "abc-123"})

    assert response.status_code == status
    assert response.headers["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("incoming", ["has spaces in it", "x" * 129, "semi;colon"])
async def test_an_unusable_incoming_request_id_is_replaced(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": incoming})

    assert response.headers["X-Request-ID"]
    assert response.headers["X-Request-ID"] != incoming
