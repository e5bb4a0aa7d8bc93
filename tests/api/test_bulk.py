"""POST /api/v1/tasks/bulk: one action on many of the caller's tasks, all or nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import TASKS, assert_invalid, assert_problem, create_task, task_url

BULK = f"{TASKS}/bulk"
NOBODYS_ID = "01900000-0000-7000-8000-000000000000"


async def _bulk(
    client: httpx.AsyncClient, headers: dict[str, str], action: str, ids: list[str]
) -> httpx.Response:
    return await client.post(BULK, json={"action": action, "ids": ids}, headers=headers)


async def _read(client: httpx.AsyncClient, headers: dict[str, str], task_id: str) -> dict[str, Any]:
    response = await client.get(task_url(task_id), headers=headers)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


async def _read_all(
    client: httpx.AsyncClient, headers: dict[str, str], tasks: list[dict[str, Any]]
) -> list[Any]:
    return [await _read(client, headers, task["id"]) for task in tasks]


async def test_bulk_complete_completes_every_named_task_and_counts_them(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    chosen = [await create_task(client, alice, title=f"chosen {n}") for n in range(3)]
    other = await create_task(client, alice, title="not chosen")

    response = await _bulk(client, alice, "complete", [task["id"] for task in chosen])

    assert response.status_code == 200, response.text
    assert response.json() == {"affected": 3}
    for task in await _read_all(client, alice, chosen):
        assert task["completed"] is True
        assert task["completed_at"] is not None
        assert task["version"] == 2
    assert await _read(client, alice, other["id"]) == other


async def test_bulk_complete_leaves_completed_tasks_untouched_and_does_not_count_them(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    done = await create_task(client, alice, title="done already", completed=True)
    open_one = await create_task(client, alice, title="still open")

    response = await _bulk(client, alice, "complete", [done["id"], open_one["id"]])

    assert response.json() == {"affected": 1}
    assert await _read(client, alice, done["id"]) == done
    assert (await _read(client, alice, open_one["id"]))["completed"] is True


async def test_bulk_reopen_reopens_completed_tasks_and_counts_only_those(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    done = [await create_task(client, alice, title=f"done {n}", completed=True) for n in range(2)]
    open_one = await create_task(client, alice, title="open already")

    response = await _bulk(client, alice, "reopen", [*(task["id"] for task in done), open_one["id"]])

    assert response.status_code == 200, response.text
    assert response.json() == {"affected": 2}
    for task in await _read_all(client, alice, done):
        assert task["completed"] is False
        assert task["completed_at"] is None
        assert task["version"] == 2
    assert await _read(client, alice, open_one["id"]) == open_one


async def test_bulk_delete_deletes_every_named_task_and_counts_them(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    doomed = [await create_task(client, alice, title=f"doomed {n}") for n in range(3)]
    kept = await create_task(client, alice, title="kept")

    response = await _bulk(client, alice, "delete", [task["id"] for task in doomed])

    assert response.status_code == 200, response.text
    assert response.json() == {"affected": 3}
    for task in doomed:
        assert (await client.get(task_url(task["id"]), headers=alice)).status_code == 404
    assert await _read(client, alice, kept["id"]) == kept


@pytest.mark.parametrize("action", ["complete", "delete"])
async def test_an_id_sent_twice_counts_once(
    client: httpx.AsyncClient, alice: dict[str, str], action: str
) -> None:
    task = await create_task(client, alice)

    response = await _bulk(client, alice, action, [task["id"], task["id"]])

    assert response.status_code == 200, response.text
    assert response.json() == {"affected": 1}


@pytest.mark.parametrize("action", ["complete", "reopen", "delete"])
async def test_one_foreign_id_among_many_is_named_in_a_404_and_no_task_changes(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str], action: str
) -> None:
    completed = action == "reopen"
    mine = [
        await create_task(client, alice, title=f"mine {n}", recurrence="daily", completed=completed)
        for n in range(5)
    ]
    bobs = await create_task(client, bob, title="Bob's", completed=completed)
    ids = [task["id"] for task in mine]

    response = await _bulk(client, alice, action, [*ids[:2], bobs["id"], *ids[2:]])

    body = assert_problem(response, 404)
    assert body["missing_ids"] == [bobs["id"]]
    assert await _read_all(client, alice, mine) == mine
    assert (await client.get(TASKS, headers=alice)).json()["items"] == list(reversed(mine))
    assert await _read(client, bob, bobs["id"]) == bobs


async def test_unknown_ids_are_named_in_a_404_in_the_order_sent_and_nothing_changes(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)
    other_unknown = str(uuid.uuid4())

    response = await _bulk(client, alice, "delete", [other_unknown, task["id"], NOBODYS_ID, other_unknown])

    assert assert_problem(response, 404)["missing_ids"] == [other_unknown, NOBODYS_ID]
    assert await _read(client, alice, task["id"]) == task


async def test_bob_cannot_act_on_alices_tasks_and_learns_no_more_than_for_unknown_ids(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    alices = [await create_task(client, alice, title=f"Alice's {n}") for n in range(2)]
    ids = [task["id"] for task in alices]

    responses = {action: await _bulk(client, bob, action, ids) for action in ("complete", "reopen", "delete")}
    unknown = await _bulk(client, bob, "delete", [NOBODYS_ID])

    for response in responses.values():
        body = assert_problem(response, 404)
        assert body["missing_ids"] == ids
        assert "Alice" not in response.text
        assert {**body, "missing_ids": None} == {**assert_problem(unknown, 404), "missing_ids": None}
    assert await _read_all(client, alice, alices) == alices


async def test_bulk_complete_of_recurring_tasks_creates_each_ones_next_occurrence(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    daily = await create_task(client, alice, title="Daily", recurrence="daily", due_at="2030-01-31T08:00:00Z")
    monthly = await create_task(
        client, alice, title="Monthly", recurrence="monthly", due_at="2030-01-31T09:00:00Z"
    )
    once = await create_task(client, alice, title="Once", due_at="2030-01-31T10:00:00Z")

    response = await _bulk(client, alice, "complete", [daily["id"], monthly["id"], once["id"]])

    assert response.json() == {"affected": 3}
    pending = (await client.get(TASKS, params={"completed": "false"}, headers=alice)).json()["items"]
    successors = sorted((task["title"], task["due_at"], task["recurrence"]) for task in pending)
    assert successors == [
        ("Daily", "2030-02-01T08:00:00Z", "daily"),
        ("Monthly", "2030-02-28T09:00:00Z", "monthly"),
    ]
    assert {task["id"] for task in pending}.isdisjoint({daily["id"], monthly["id"], once["id"]})


async def test_bulk_reopen_keeps_the_successor_that_completing_created(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, recurrence="weekly", due_at="2030-01-05T10:00:00Z")
    await _bulk(client, alice, "complete", [task["id"]])

    response = await _bulk(client, alice, "reopen", [task["id"]])

    assert response.json() == {"affected": 1}
    pending = (await client.get(TASKS, params={"completed": "false"}, headers=alice)).json()["items"]
    assert sorted(item["due_at"] for item in pending) == ["2030-01-05T10:00:00Z", "2030-01-12T10:00:00Z"]


MINE = "the id of a task the caller has"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"action": "complete", "ids": []}, "ids", id="no-ids"),
        pytest.param(
            {"action": "complete", "ids": [MINE, *(str(uuid.uuid4()) for _ in range(100))]},
            "ids",
            id="101-ids",
        ),
        # `action` chooses the body's shape (a move takes `list_id`): an action that is none of
        # them is the body's error, which names `action`.
        pytest.param({"action": "archive", "ids": [MINE]}, "body", id="unknown-action"),
        pytest.param({"action": "Delete", "ids": [MINE]}, "body", id="action-in-other-case"),
        pytest.param({"ids": [MINE]}, "body", id="no-action"),
        pytest.param(
            {"action": "delete", "ids": [MINE], "list_id": None}, "list_id", id="list-id-not-moving"
        ),
        pytest.param({"action": "move", "ids": [MINE]}, "list_id", id="move-without-list-id"),
        pytest.param({"action": "delete"}, "ids", id="no-ids-member"),
        pytest.param({"action": "delete", "ids": [MINE, "not-a-uuid"]}, "ids", id="malformed-id"),
        pytest.param({"action": "delete", "ids": MINE}, "ids", id="ids-not-a-list"),
        pytest.param({"action": "delete", "ids": [MINE], "force": True}, "force", id="unknown-field"),
    ],
)
async def test_an_invalid_bulk_request_is_rejected_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    task = await create_task(client, alice)
    ids = body.get("ids")
    if isinstance(ids, list):
        body = {**body, "ids": [task["id"] if item == MINE else item for item in ids]}
    elif ids == MINE:
        body = {**body, "ids": task["id"]}

    response = await client.post(BULK, json=body, headers=alice)

    errors = assert_invalid(response, field)["errors"]
    if field == "body":
        assert "'action'" in errors[0]["msg"], errors
    assert await _read(client, alice, task["id"]) == task


async def test_a_hundred_ids_are_accepted(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    task = await create_task(client, alice)

    response = await _bulk(client, alice, "complete", [task["id"]] * 100)

    assert response.json() == {"affected": 1}


async def test_bulk_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await _bulk(client, {}, "delete", [NOBODYS_ID])

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_another_method_on_bulk_is_a_405_naming_post_not_a_task_id_problem(
    client: httpx.AsyncClient, alice: dict[str, str], method: str
) -> None:
    response = await client.request(method, BULK, headers=alice)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "POST"
