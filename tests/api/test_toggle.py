"""POST /api/v1/tasks/{id}/toggle flips completed and sets or clears completed_at."""

import httpx

from tests.api.helpers import create_task, task_url, utc_time


async def test_toggling_an_open_task_completes_it_at_the_time_of_the_change(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    response = await client.post(f"{task_url(task['id'])}/toggle", headers=alice)

    assert response.status_code == 200, response.text
    toggled = response.json()
    assert toggled["completed"] is True
    assert utc_time(toggled["completed_at"]) == utc_time(toggled["updated_at"])
    assert toggled["version"] == 2
    assert response.headers["ETag"] == '"2"'


async def test_toggling_a_completed_task_reopens_it_and_clears_the_completion_time(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, completed=True)

    response = await client.post(f"{task_url(task['id'])}/toggle", headers=alice)

    assert response.json()["completed"] is False
    assert response.json()["completed_at"] is None
    assert response.json()["version"] == 2


async def test_a_toggle_is_kept(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice)
    toggled = await client.post(f"{task_url(task['id'])}/toggle", headers=alice)

    fetched = await client.get(task_url(task["id"]), headers=alice)

    assert fetched.json() == toggled.json()


async def test_a_toggle_changes_nothing_but_completion(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, title="Pay rent", tags=["home"], priority="high")

    response = await client.post(f"{task_url(task['id'])}/toggle", headers=alice)

    moved = {"completed", "completed_at", "updated_at", "version"}
    assert {k: v for k, v in response.json().items() if k not in moved} == {
        k: v for k, v in task.items() if k not in moved
    }
