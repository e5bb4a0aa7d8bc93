"""Another user's task is indistinguishable from a missing one: 404 on every route, and nothing changes."""

import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.api.helpers import TASKS, assert_problem, create_task, task_url
from tests.support.app import auth

UNKNOWN = "01900000-0000-7000-8000-000000000000"

ROUTES_ON_ONE_TASK = [
    pytest.param("GET", "", None, id="get"),
    pytest.param("PATCH", "", {"title": "Mine now"}, id="patch"),
    pytest.param("PUT", "", {"title": "Mine now"}, id="put"),
    pytest.param("POST", "/toggle", None, id="toggle"),
    pytest.param("DELETE", "", None, id="delete"),
]


async def _unknown(
    client: httpx.AsyncClient, headers: dict[str, str], method: str, suffix: str, body: Any
) -> httpx.Response:
    """The same request on an id nobody has, for comparing the two answers."""
    return await client.request(
        method, task_url("01900000-0000-7000-8000-000000000000") + suffix, json=body, headers=headers
    )


@pytest.mark.parametrize("if_match", [None, '"1"', "*"], ids=["no-if-match", "current-etag", "star"])
@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES_ON_ONE_TASK)
async def test_another_users_task_is_not_found_and_stays_unchanged(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    method: str,
    suffix: str,
    body: Any,
    if_match: str | None,
) -> None:
    task = await create_task(client, alice, title="Alice's secret", tags=["private"])
    before = await client.get(task_url(task["id"]), headers=alice)
    headers = bob if if_match is None else {**bob, "If-Match": if_match}

    response = await client.request(method, task_url(task["id"]) + suffix, json=body, headers=headers)
    unknown = await _unknown(client, headers, method, suffix, body)

    assert assert_problem(response, 404) == assert_problem(unknown, 404)
    assert "Alice" not in response.text
    after = await client.get(task_url(task["id"]), headers=alice)
    assert after.status_code == 200
    assert after.content == before.content
    assert (await client.get(TASKS, headers=bob)).json() == {"items": [], "next_cursor": None}


async def test_each_user_lists_only_their_own_tasks(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    alices = await create_task(client, alice, title="Alice's")
    bobs = await create_task(client, bob, title="Bob's")

    alice_list = await client.get(TASKS, headers=alice)
    bob_list = await client.get(TASKS, headers=bob)

    assert alice_list.json()["items"] == [alices]
    assert bob_list.json()["items"] == [bobs]


async def test_another_users_cursor_reveals_none_of_their_tasks(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    for n in range(3):
        await create_task(client, alice, title=f"alice {n}")
    cursor = (await client.get(TASKS, params={"limit": 1}, headers=alice)).json()["next_cursor"]

    response = await client.get(TASKS, params={"limit": 1, "cursor": cursor}, headers=bob)

    assert "alice" not in response.text


# Every compatibility route on one task, in each family: (method, suffix).
COMPAT_ROUTES_ON_ONE_TASK = [
    ("GET", ""),
    ("PUT", ""),
    ("PATCH", ""),
    ("DELETE", ""),
    *(
        (method, f"/{action}")
        for action in ("complete", "toggle", "uncomplete", "incomplete")
        for method in ("POST", "PATCH")
    ),
]
COMPAT_FAMILIES = ["/api/{user_id}", "/api/users/{user_id}", "/api"]


@pytest.mark.parametrize("family", COMPAT_FAMILIES)
@pytest.mark.parametrize(("method", "suffix"), COMPAT_ROUTES_ON_ONE_TASK, ids=lambda value: value or "item")
async def test_another_users_task_is_not_found_and_stays_unchanged_on_every_compatibility_route(
    client: httpx.AsyncClient, family: str, method: str, suffix: str
) -> None:
    alice_sub, bob_sub = f"alice-{uuid.uuid4()}", f"bob-{uuid.uuid4()}"
    alice, bob = auth(alice_sub), {**auth(bob_sub), "If-Match": "*"}
    task = await create_task(client, alice, title="Alice's secret", tags=["private"], completed=True)
    before = await client.get(task_url(task["id"]), headers=alice)
    bobs_tasks = family.format(user_id=quote(bob_sub, safe="")) + "/tasks"
    body = {"title": "Mine now", "completed": False} if method in ("PUT", "PATCH") and not suffix else None

    response = await client.request(method, f"{bobs_tasks}/{task['id']}{suffix}", json=body, headers=bob)
    unknown = await client.request(method, f"{bobs_tasks}/{UNKNOWN}{suffix}", json=body, headers=bob)

    assert assert_problem(response, 404) == assert_problem(unknown, 404)
    assert "Alice" not in response.text
    assert (await client.get(task_url(task["id"]), headers=alice)).content == before.content
    assert (await client.get(bobs_tasks, headers=bob)).json() == []
