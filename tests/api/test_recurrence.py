"""Completing a recurring task brings its next occurrence into the list, in the same change."""

import httpx

from tests.api.helpers import TASKS, create_task, task_url

RECURRING = {
    "title": "Water the plants",
    "description": "All of them",
    "priority": "high",
    "tags": ["home"],
    "recurrence": "weekly",
    "due_at": "2030-01-05T10:00:00Z",
}


async def test_toggling_a_recurring_task_complete_creates_its_next_occurrence(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, **RECURRING)

    await client.post(f"{task_url(task['id'])}/toggle", headers=alice)

    pending = (await client.get(TASKS, params={"completed": "false"}, headers=alice)).json()["items"]
    assert len(pending) == 1
    assert {name: pending[0][name] for name in RECURRING} == {**RECURRING, "due_at": "2030-01-12T10:00:00Z"}
    assert pending[0]["id"] != task["id"]


async def test_patching_a_monthly_task_complete_moves_the_next_due_time_to_the_months_last_day(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(
        client, alice, title="Pay rent", recurrence="monthly", due_at="2030-01-31T09:00:00Z"
    )

    await client.patch(task_url(task["id"]), json={"completed": True}, headers=alice)

    pending = (await client.get(TASKS, params={"completed": "false"}, headers=alice)).json()["items"]
    assert [item["due_at"] for item in pending] == ["2030-02-28T09:00:00Z"]


async def test_completing_a_task_without_recurrence_creates_nothing_new(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, due_at="2030-01-05T10:00:00Z")

    await client.post(f"{task_url(task['id'])}/toggle", headers=alice)

    assert [item["id"] for item in (await client.get(TASKS, headers=alice)).json()["items"]] == [task["id"]]
