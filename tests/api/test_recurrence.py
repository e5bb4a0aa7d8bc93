"""Completing a recurring task brings its next occurrence into the list, in the same change."""

import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import TASKS, create_task, task_url
from tests.support.app import auth

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


# The last occurrence there can be: the next one would fall after 9999-12-31.
AT_THE_END_OF_TIME = [
    pytest.param("daily", "9999-12-31T10:00:00Z", id="daily"),
    pytest.param("weekly", "9999-12-27T10:00:00Z", id="weekly"),
    pytest.param("monthly", "9999-12-15T10:00:00Z", id="monthly"),
    pytest.param("daily", "9999-12-31T22:00:00-01:00", id="daily-with-offset"),
]
COMPLETIONS = [
    pytest.param(lambda task_id, sub: ("POST", f"{task_url(task_id)}/toggle", None), id="toggle"),
    pytest.param(lambda task_id, sub: ("PATCH", task_url(task_id), {"completed": True}), id="patch"),
    pytest.param(
        lambda task_id, sub: ("PUT", task_url(task_id), {"title": "Last one", "completed": True}), id="put"
    ),
    pytest.param(lambda task_id, sub: ("PATCH", f"/api/{sub}/tasks/{task_id}/complete", None), id="compat"),
    pytest.param(
        lambda task_id, sub: ("POST", f"{TASKS}/bulk", {"action": "complete", "ids": [task_id]}), id="bulk"
    ),
]


@pytest.mark.parametrize(("recurrence", "due_at"), AT_THE_END_OF_TIME)
@pytest.mark.parametrize("completion", COMPLETIONS)
async def test_completing_the_last_possible_occurrence_completes_it_and_makes_no_successor(
    client: httpx.AsyncClient, recurrence: str, due_at: str, completion: Any
) -> None:
    sub = f"alice-{uuid.uuid4()}"
    headers = auth(sub)
    task = await create_task(client, headers, title="Last one", recurrence=recurrence, due_at=due_at)

    method, path, body = completion(task["id"], sub)
    response = await client.request(method, path, json=body, headers=headers)

    assert response.status_code == 200, response.text
    items = (await client.get(TASKS, headers=headers)).json()["items"]
    assert [(item["id"], item["completed"]) for item in items] == [(task["id"], True)]


async def test_a_bulk_completion_with_one_last_occurrence_completes_all_and_continues_the_others(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    last = await create_task(client, alice, title="Last", recurrence="daily", due_at="9999-12-31T10:00:00Z")
    usual = await create_task(client, alice, **RECURRING)

    response = await client.post(
        f"{TASKS}/bulk", json={"action": "complete", "ids": [last["id"], usual["id"]]}, headers=alice
    )

    assert response.status_code == 200, response.text
    pending = (await client.get(TASKS, params={"completed": "false"}, headers=alice)).json()["items"]
    assert [item["due_at"] for item in pending] == ["2030-01-12T10:00:00Z"]


# Each way to set `completed` (the toggles flip it: they are called alternately to complete and reopen).
SET_COMPLETED = [
    pytest.param(lambda task_id, sub, done: ("POST", f"{task_url(task_id)}/toggle", None), id="toggle"),
    pytest.param(lambda task_id, sub, done: ("PATCH", task_url(task_id), {"completed": done}), id="patch"),
    pytest.param(
        lambda task_id, sub, done: ("PUT", task_url(task_id), {**RECURRING, "completed": done}), id="put"
    ),
    pytest.param(
        lambda task_id, sub, done: ("PATCH", f"/api/{sub}/tasks/{task_id}/complete", None),
        id="compat-complete",
    ),
    pytest.param(
        lambda task_id, sub, done: ("PUT", f"/api/{sub}/tasks/{task_id}", {"completed": done}),
        id="compat-put",
    ),
    pytest.param(
        lambda task_id, sub, done: (
            "POST",
            f"{TASKS}/bulk",
            {"action": "complete" if done else "reopen", "ids": [task_id]},
        ),
        id="bulk",
    ),
]


@pytest.mark.parametrize("set_completed", SET_COMPLETED)
async def test_completing_a_reopened_recurring_task_again_creates_no_second_next_occurrence(
    client: httpx.AsyncClient, set_completed: Any
) -> None:
    sub = f"alice-{uuid.uuid4()}"
    headers = auth(sub)
    task = await create_task(client, headers, **RECURRING)

    for done in (True, False, True, False, True):
        method, path, body = set_completed(task["id"], sub, done)
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 200, response.text

    items = (await client.get(TASKS, headers=headers)).json()["items"]
    assert sorted((item["id"] == task["id"], item["completed"], item["due_at"]) for item in items) == [
        (False, False, "2030-01-12T10:00:00Z"),
        (True, True, "2030-01-05T10:00:00Z"),
    ]
