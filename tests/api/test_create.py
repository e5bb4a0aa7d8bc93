"""POST /api/v1/tasks: a new task, where to find it, and its first version."""

import uuid

import httpx

from tests.api.helpers import TASK_FIELDS, TASKS, create_task, task_url, utc_time


async def test_a_new_task_answers_201_with_its_location_and_first_etag(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(TASKS, json={"title": "Buy milk"}, headers=alice)

    assert response.status_code == 201, response.text
    task = response.json()
    assert response.headers["Location"] == task_url(task["id"])
    assert response.headers["ETag"] == '"1"'
    assert response.headers["content-type"] == "application/json"


async def test_a_new_task_has_every_field_of_the_task_shape_with_its_defaults(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, title="Buy milk")

    assert set(task) == TASK_FIELDS
    assert uuid.UUID(task["id"])
    assert task["title"] == "Buy milk"
    assert task["description"] is None
    assert task["completed"] is False
    assert task["priority"] == "medium"
    assert task["tags"] == []
    assert task["due_at"] is None
    assert task["recurrence"] is None
    assert task["completed_at"] is None
    assert task["version"] == 1
    assert (task["list_id"], task["parent_id"]) == (None, None)  # the Inbox, at the top level
    assert isinstance(task["position"], str)
    assert task["position"]


async def test_a_new_tasks_times_are_rfc3339_in_utc(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice)

    created_at = utc_time(task["created_at"])
    assert utc_time(task["updated_at"]) == created_at


async def test_a_new_task_keeps_every_field_the_client_chose(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    body = {
        "title": "Pay rent",
        "description": "Before the fifth",
        "priority": "high",
        "tags": ["home", "money"],
        "due_at": "2030-01-05T10:00:00Z",
        "recurrence": "monthly",
    }

    task = await create_task(client, alice, **body)

    assert {name: task[name] for name in body} == body


async def test_a_due_time_with_an_offset_is_stored_and_returned_in_utc(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, due_at="2030-01-05T10:00:00+02:00")

    assert task["due_at"] == "2030-01-05T08:00:00Z"
    fetched = await client.get(task_url(task["id"]), headers=alice)
    assert fetched.json()["due_at"] == "2030-01-05T08:00:00Z"


async def test_tags_are_stored_trimmed_lower_case_and_without_duplicates(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, tags=[" Home ", "WORK", "home", "work "])

    assert task["tags"] == ["home", "work"]


async def test_a_title_is_trimmed_and_may_be_200_characters_after_trimming(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    title = "a" * 200

    task = await create_task(client, alice, title=f"  {title}  ")

    assert task["title"] == title


async def test_a_task_created_completed_carries_its_completion_time(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, completed=True)

    assert task["completed"] is True
    assert utc_time(task["completed_at"]) == utc_time(task["created_at"])


async def test_each_new_task_gets_its_own_id(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    first = await create_task(client, alice, title="Same title")

    second = await create_task(client, alice, title="Same title")

    assert first["id"] != second["id"]
