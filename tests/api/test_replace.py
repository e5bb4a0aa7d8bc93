"""PUT /api/v1/tasks/{id}: every client-settable field is replaced; one left out takes its default."""

import httpx

from tests.api.helpers import assert_invalid, create_task, task_url, utc_time

FULL_TASK = {
    "title": "Pay rent",
    "description": "Before the fifth",
    "priority": "high",
    "tags": ["home", "money"],
    "due_at": "2030-01-05T10:00:00Z",
    "recurrence": "monthly",
    "completed": True,
}


async def test_a_put_replaces_every_field_and_resets_the_ones_left_out(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, **FULL_TASK)

    response = await client.put(task_url(task["id"]), json={"title": "Call the landlord"}, headers=alice)

    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["title"] == "Call the landlord"
    assert replaced["description"] is None
    assert replaced["priority"] == "medium"
    assert replaced["tags"] == []
    assert replaced["due_at"] is None
    assert replaced["recurrence"] is None
    assert replaced["completed"] is False
    assert replaced["completed_at"] is None


async def test_a_put_keeps_the_id_and_creation_time_and_adds_one_to_the_version(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    response = await client.put(task_url(task["id"]), json={**FULL_TASK, "title": "New"}, headers=alice)

    replaced = response.json()
    assert replaced["id"] == task["id"]
    assert replaced["created_at"] == task["created_at"]
    assert replaced["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert {name: replaced[name] for name in FULL_TASK} == {**FULL_TASK, "title": "New"}
    assert utc_time(replaced["completed_at"]) == utc_time(replaced["updated_at"])


async def test_a_put_is_kept(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice, **FULL_TASK)
    replaced = await client.put(task_url(task["id"]), json={"title": "Only this"}, headers=alice)

    fetched = await client.get(task_url(task["id"]), headers=alice)

    assert fetched.json() == replaced.json()


async def test_a_put_of_the_same_fields_keeps_the_version(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, **FULL_TASK)

    response = await client.put(task_url(task["id"]), json=FULL_TASK, headers=alice)

    assert response.status_code == 200, response.text
    assert response.json() == task


async def test_a_put_without_a_title_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, **FULL_TASK)

    response = await client.put(task_url(task["id"]), json={"priority": "low"}, headers=alice)

    assert_invalid(response, "title")
    assert (await client.get(task_url(task["id"]), headers=alice)).json() == task


async def test_a_put_breaking_a_rule_is_refused(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice)

    response = await client.put(
        task_url(task["id"]), json={"title": "x", "due_at": "2030-01-05T10:00:00"}, headers=alice
    )

    assert_invalid(response, "due_at")
