"""Keyset paging through next_cursor: every task exactly once; a foreign or forged cursor is a 422."""

from typing import Any

import httpx
import pytest

from tests.api.helpers import TASKS, assert_invalid, create_task


async def _walk(
    client: httpx.AsyncClient, headers: dict[str, str], cursor: str | None = None, **params: Any
) -> tuple[list[str], list[int]]:
    """Follow next_cursor to the end (from `cursor` if given); return the ids seen and page sizes."""
    ids: list[str] = []
    sizes: list[int] = []
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(TASKS, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [task["id"] for task in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, sizes


async def _first_cursor(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> str:
    response = await client.get(TASKS, params={"limit": 1, **params}, headers=headers)
    cursor: str = response.json()["next_cursor"]
    assert cursor
    return cursor


async def test_paging_through_next_cursor_visits_every_task_exactly_once_newest_first(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = [await create_task(client, alice, title=f"task {n}") for n in range(7)]

    ids, sizes = await _walk(client, alice, limit=3)

    assert ids == [task["id"] for task in reversed(created)]
    assert sizes == [3, 3, 1]


async def test_paging_with_the_completed_filter_visits_only_matching_tasks(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = [await create_task(client, alice, title=f"task {n}", completed=n % 2 == 0) for n in range(7)]
    done = [task["id"] for task in reversed(created) if task["completed"]]

    ids, _ = await _walk(client, alice, limit=3, completed="true")

    assert ids == done


async def test_tasks_added_while_paging_do_not_repeat_or_skip_the_others(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = [await create_task(client, alice, title=f"task {n}") for n in range(5)]
    first = (await client.get(TASKS, params={"limit": 2}, headers=alice)).json()
    await create_task(client, alice, title="added meanwhile")

    rest, _ = await _walk(client, alice, first["next_cursor"], limit=2)

    seen = [task["id"] for task in first["items"]] + rest
    assert seen == [task["id"] for task in reversed(created)]


@pytest.mark.parametrize("cursor", ["garbage", "!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "é"])
async def test_a_garbage_cursor_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], cursor: str
) -> None:
    response = await client.get(TASKS, params={"cursor": cursor}, headers=alice)

    assert_invalid(response, "cursor")


async def test_a_tampered_cursor_is_refused(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    for n in range(2):
        await create_task(client, alice, title=f"task {n}")
    cursor = await _first_cursor(client, alice)
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")

    response = await client.get(TASKS, params={"cursor": tampered}, headers=alice)

    assert_invalid(response, "cursor")


@pytest.mark.parametrize("other_filter", [{"completed": "false"}, {}])
async def test_a_cursor_made_for_completed_tasks_is_refused_for_other_filters(
    client: httpx.AsyncClient, alice: dict[str, str], other_filter: dict[str, str]
) -> None:
    for n in range(2):
        await create_task(client, alice, title=f"task {n}", completed=True)
    cursor = await _first_cursor(client, alice, completed="true")

    response = await client.get(TASKS, params={**other_filter, "cursor": cursor}, headers=alice)

    assert_invalid(response, "cursor")
