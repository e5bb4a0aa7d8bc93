"""DELETE /api/v1/tasks/{id}: 204, and from then on the task is not found."""

import httpx

from tests.api.helpers import TASKS, assert_problem, create_task, task_url


async def test_deleting_a_task_answers_204_with_no_body(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    response = await client.delete(task_url(task["id"]), headers=alice)

    assert response.status_code == 204
    assert response.content == b""


async def test_a_deleted_task_is_not_found(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice)
    await client.delete(task_url(task["id"]), headers=alice)

    response = await client.get(task_url(task["id"]), headers=alice)

    assert_problem(response, 404)


async def test_deleting_a_task_twice_is_not_found_the_second_time(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)
    await client.delete(task_url(task["id"]), headers=alice)

    response = await client.delete(task_url(task["id"]), headers=alice)

    assert_problem(response, 404)


async def test_a_deleted_task_leaves_the_list_and_the_others_stay(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    kept = await create_task(client, alice, title="Keep")
    gone = await create_task(client, alice, title="Delete")

    await client.delete(task_url(gone["id"]), headers=alice)

    assert (await client.get(TASKS, headers=alice)).json() == {"items": [kept], "next_cursor": None}
