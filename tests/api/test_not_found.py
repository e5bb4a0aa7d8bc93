"""An unknown task id is a 404 problem on every route; an id that is not a UUID is a 422."""

import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_invalid, assert_problem, task_url

ROUTES_ON_ONE_TASK = [
    pytest.param("GET", "", None, id="get"),
    pytest.param("PATCH", "", {"title": "Changed"}, id="patch"),
    pytest.param("PUT", "", {"title": "Changed"}, id="put"),
    pytest.param("POST", "/toggle", None, id="toggle"),
    pytest.param("DELETE", "", None, id="delete"),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES_ON_ONE_TASK)
async def test_an_unknown_task_is_not_found(
    client: httpx.AsyncClient, alice: dict[str, str], method: str, suffix: str, body: Any
) -> None:
    url = task_url(str(uuid.uuid4())) + suffix

    response = await client.request(method, url, json=body, headers=alice)

    assert_problem(response, 404)


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES_ON_ONE_TASK)
async def test_a_task_id_that_is_not_a_uuid_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], method: str, suffix: str, body: Any
) -> None:
    url = task_url("not-a-uuid") + suffix

    response = await client.request(method, url, json=body, headers=alice)

    assert_invalid(response, "task_id")
