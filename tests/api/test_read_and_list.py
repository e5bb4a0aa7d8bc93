"""GET one task with its ETag, and GET the caller's list: newest first, filtered, limited."""

import httpx
import pytest

from tests.api.helpers import TASKS, assert_invalid, create_task, task_url


async def test_a_task_is_read_back_as_created_with_its_etag(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, tags=["home"], priority="low")

    response = await client.get(task_url(task["id"]), headers=alice)

    assert response.status_code == 200
    assert response.json() == task
    assert response.headers["ETag"] == '"1"'


async def test_the_etag_follows_the_version_after_a_change(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)
    await client.patch(task_url(task["id"]), json={"title": "Changed"}, headers=alice)

    response = await client.get(task_url(task["id"]), headers=alice)

    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'


async def test_a_new_user_has_an_empty_list(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    response = await client.get(TASKS, headers=alice)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_the_list_holds_the_callers_tasks_newest_first(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = [await create_task(client, alice, title=f"task {n}") for n in range(4)]

    response = await client.get(TASKS, headers=alice)

    assert response.json() == {"items": list(reversed(created)), "next_cursor": None}


@pytest.mark.parametrize("completed", [True, False])
async def test_the_completed_filter_keeps_only_tasks_in_that_state(
    client: httpx.AsyncClient, alice: dict[str, str], completed: bool
) -> None:
    done = [await create_task(client, alice, title=f"done {n}", completed=True) for n in range(2)]
    open_ = [await create_task(client, alice, title=f"open {n}") for n in range(3)]
    expected = done if completed else open_

    response = await client.get(TASKS, params={"completed": str(completed).lower()}, headers=alice)

    assert [task["id"] for task in response.json()["items"]] == [task["id"] for task in reversed(expected)]


async def test_the_limit_caps_a_page_and_a_cursor_points_to_the_rest(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = [await create_task(client, alice, title=f"task {n}") for n in range(3)]

    response = await client.get(TASKS, params={"limit": 2}, headers=alice)

    page = response.json()
    assert [task["id"] for task in page["items"]] == [created[2]["id"], created[1]["id"]]
    assert isinstance(page["next_cursor"], str)
    assert page["next_cursor"]


async def test_a_page_that_reaches_the_end_has_no_cursor(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for n in range(3):
        await create_task(client, alice, title=f"task {n}")

    response = await client.get(TASKS, params={"limit": 3}, headers=alice)

    assert len(response.json()["items"]) == 3
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"limit": 0}, "limit", id="limit-0"),
        pytest.param({"limit": 101}, "limit", id="limit-101"),
        pytest.param({"limit": "ten"}, "limit", id="limit-not-a-number"),
        pytest.param({"completed": "maybe"}, "completed", id="completed-not-a-bool"),
    ],
)
async def test_a_list_query_out_of_range_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], params: dict[str, object], field: str
) -> None:
    response = await client.get(TASKS, params=params, headers=alice)

    assert_invalid(response, field)


@pytest.mark.parametrize("limit", [1, 100])
async def test_the_limits_at_either_end_of_the_range_are_accepted(
    client: httpx.AsyncClient, alice: dict[str, str], limit: int
) -> None:
    task = await create_task(client, alice)

    response = await client.get(TASKS, params={"limit": limit}, headers=alice)

    assert response.status_code == 200
    assert response.json() == {"items": [task], "next_cursor": None}
