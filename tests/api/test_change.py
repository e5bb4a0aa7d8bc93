"""PATCH /api/v1/tasks/{id}: only the fields sent change, null clears, and each change is a version."""

from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_invalid, create_task, task_url, utc_time

FULL_TASK = {
    "title": "Pay rent",
    "description": "Before the fifth",
    "priority": "high",
    "tags": ["home", "money"],
    "due_at": "2030-01-05T10:00:00Z",
    "recurrence": "monthly",
}


async def test_a_patch_changes_only_the_fields_sent(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice, **FULL_TASK)

    response = await client.patch(task_url(task["id"]), json={"title": "Pay the rent"}, headers=alice)

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["title"] == "Pay the rent"
    untouched = {"title", "version", "updated_at"}
    assert {k: v for k, v in changed.items() if k not in untouched} == {
        k: v for k, v in task.items() if k not in untouched
    }


async def test_a_patch_adds_one_to_the_version_and_answers_with_its_etag(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    response = await client.patch(task_url(task["id"]), json={"priority": "low"}, headers=alice)

    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert utc_time(response.json()["updated_at"]) >= utc_time(task["updated_at"])


async def test_a_patch_is_kept(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice)
    changed = await client.patch(task_url(task["id"]), json={"tags": ["Errand"]}, headers=alice)

    fetched = await client.get(task_url(task["id"]), headers=alice)

    assert fetched.json() == changed.json()
    assert fetched.json()["tags"] == ["errand"]


@pytest.mark.parametrize("field", ["description", "due_at", "recurrence"])
async def test_a_null_clears_a_nullable_field(
    client: httpx.AsyncClient, alice: dict[str, str], field: str
) -> None:
    task = await create_task(client, alice, **FULL_TASK)

    response = await client.patch(task_url(task["id"]), json={field: None}, headers=alice)

    assert response.status_code == 200, response.text
    assert response.json()[field] is None
    assert response.json()["version"] == 2


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty-body"),
        pytest.param({"title": "Pay rent", "priority": "high"}, id="same-values"),
        pytest.param({"tags": ["MONEY ", "home"]}, id="same-tags-once-normalised"),
    ],
)
async def test_a_patch_that_changes_nothing_keeps_the_version(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any]
) -> None:
    task = await create_task(client, alice, **{**FULL_TASK, "tags": ["money", "home"]})

    response = await client.patch(task_url(task["id"]), json=body, headers=alice)

    assert response.status_code == 200, response.text
    assert response.json() == task
    assert response.headers["ETag"] == '"1"'


async def test_patching_completed_sets_and_then_clears_the_completion_time(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    completed = await client.patch(task_url(task["id"]), json={"completed": True}, headers=alice)
    reopened = await client.patch(task_url(task["id"]), json={"completed": False}, headers=alice)

    assert completed.json()["completed"] is True
    assert utc_time(completed.json()["completed_at"]) == utc_time(completed.json()["updated_at"])
    assert reopened.json()["completed"] is False
    assert reopened.json()["completed_at"] is None
    assert reopened.json()["version"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"title": None}, "title", id="null-title"),
        pytest.param({"priority": None}, "priority", id="null-priority"),
        pytest.param({"tags": None}, "tags", id="null-tags"),
        pytest.param({"completed": None}, "completed", id="null-completed"),
        pytest.param({"title": "  "}, "title", id="blank-title"),
        pytest.param({"title": "a" * 201}, "title", id="title-of-201-characters"),
        pytest.param({"tags": [f"tag{n}" for n in range(21)]}, "tags", id="21-tags"),
        pytest.param({"tags": ["t" * 51]}, "tags", id="tag-of-51-characters"),
        pytest.param({"priority": "urgent"}, "priority", id="unknown-priority"),
        pytest.param({"due_at": "2030-01-05T10:00:00"}, "due_at", id="naive-due-at"),
    ],
)
async def test_an_invalid_patch_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    task = await create_task(client, alice, **FULL_TASK)

    response = await client.patch(task_url(task["id"]), json=body, headers=alice)

    assert_invalid(response, field)
    assert (await client.get(task_url(task["id"]), headers=alice)).json() == task


async def test_a_patch_body_that_is_not_json_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)
    headers = {**alice, "Content-Type": "application/json"}

    response = await client.patch(task_url(task["id"]), content=b"{title", headers=headers)

    assert_invalid(response)
