"""A trailing slash changes nothing: the path answers as it does without one, never with a redirect
(which would name `http://` behind a TLS proxy, and which browsers follow badly for a POST)."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import TASKS, assert_problem, create_task, task_url


async def test_listing_with_a_trailing_slash_answers_the_list(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create_task(client, alice, title="Slashed")

    slashed = await client.get(f"{TASKS}/", headers=alice)
    plain = await client.get(TASKS, headers=alice)

    assert slashed.status_code == 200
    assert "Location" not in slashed.headers
    assert slashed.json() == plain.json()


async def test_creating_with_a_trailing_slash_creates_the_task(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(f"{TASKS}/", json={"title": "Posted to a slash"}, headers=alice)

    assert response.status_code == 201, response.text
    task = response.json()
    assert task["title"] == "Posted to a slash"
    assert response.headers["Location"].endswith(task_url(task["id"]))
    listed = await client.get(TASKS, headers=alice)
    assert [item["id"] for item in listed.json()["items"]] == [task["id"]]


async def test_a_task_with_a_trailing_slash_is_read_changed_and_deleted(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)
    slashed = f"{task_url(task['id'])}/"

    read = await client.get(slashed, headers=alice)
    head = await client.head(slashed, headers=alice)
    changed = await client.patch(slashed, json={"title": "Renamed"}, headers=alice)
    deleted = await client.delete(slashed, headers=alice)

    assert (read.status_code, read.json()["id"]) == (200, task["id"])
    assert (head.status_code, head.content) == (200, b"")
    assert (changed.status_code, changed.json()["title"]) == (200, "Renamed")
    assert deleted.status_code == 204


@pytest.mark.parametrize("path", ["/health/live/", "/docs/", "/redoc/", "/openapi.json/"])
async def test_unauthenticated_pages_answer_with_a_trailing_slash(
    client: httpx.AsyncClient, path: str
) -> None:
    slashed = await client.get(path)
    plain = await client.get(path[:-1])

    assert slashed.status_code == 200
    assert slashed.content == plain.content


async def test_a_missing_path_with_a_trailing_slash_is_not_found_not_redirected(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get("/api/v1/nowhere/", headers=alice)

    assert_problem(response, 404)


async def test_a_trailing_slash_on_a_path_that_takes_no_such_method_is_still_405(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.put(f"{TASKS}/", json={}, headers=alice)

    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]
