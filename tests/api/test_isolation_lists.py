"""Another user's list, parent or sibling is indistinguishable from a missing one: every new route
and every reference field answers 404, and neither user's data changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import TASKS, assert_problem, create_task, task_url

LISTS = "/api/v1/lists"
UNKNOWN = "01900000-0000-7000-8000-000000000000"
# Placeholders in a request: Alice's ids (each replaced by UNKNOWN for the comparison request) and Bob's.
ALICES = ("{alice_list}", "{alice_task}", "{alice_sub}")


def _filled(template: Any, ids: dict[str, str]) -> Any:
    if isinstance(template, str):
        for placeholder, value in ids.items():
            template = template.replace(placeholder, value)
        return template
    if isinstance(template, list):
        return [_filled(item, ids) for item in template]
    if isinstance(template, dict):
        return {key: _filled(value, ids) for key, value in template.items()}
    return template


async def _create_list(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> dict[str, Any]:
    response = await client.post(LISTS, json={"name": name, "color": "#ff0000"}, headers=headers)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def _world(client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]) -> dict[str, str]:
    """Alice: a list with a task and its subtask, an archived list, an Inbox task. Bob: a list with a
    task, and an Inbox task. The ids, by placeholder."""
    alices = await _create_list(client, alice, "Alice's secret list")
    shelf = await _create_list(client, alice, "Alice's archive")
    await client.patch(f"{LISTS}/{shelf['id']}", json={"archived": True}, headers=alice)
    task = await create_task(client, alice, title="Alice's secret", list_id=alices["id"], tags=["private"])
    sub = await create_task(client, alice, title="Alice's secret step", parent_id=task["id"])
    await create_task(client, alice, title="Alice's inbox")
    bobs = await _create_list(client, bob, "Bob's list")
    bobs_task = await create_task(client, bob, title="Bob's task", list_id=bobs["id"])
    bobs_other = await create_task(client, bob, title="Bob's inbox task")
    return {
        "{alice_list}": alices["id"],
        "{alice_task}": task["id"],
        "{alice_sub}": sub["id"],
        "{bob_list}": bobs["id"],
        "{bob_task}": bobs_task["id"],
        "{bob_other}": bobs_other["id"],
    }


async def _snapshot(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """Everything a user can read of their lists and tasks, ETags included."""
    seen: dict[str, Any] = {}
    for archived in ("false", "true"):
        response = await client.get(LISTS, params={"archived": archived}, headers=headers)
        assert response.status_code == 200
        seen[f"lists archived={archived}"] = response.json()
        for item in response.json()["items"]:
            one = await client.get(f"{LISTS}/{item['id']}", headers=headers)
            seen[f"list {item['id']}"] = (one.status_code, one.headers.get("ETag"), one.json())
    tasks = await client.get(TASKS, params={"limit": 100}, headers=headers)
    seen["tasks"] = tasks.json()
    for task in tasks.json()["items"]:
        one = await client.get(task_url(task["id"]), headers=headers)
        seen[f"task {task['id']}"] = (one.status_code, one.headers.get("ETag"), one.json())
    seen["stats"] = (await client.get(f"{TASKS}/stats", headers=headers)).json()
    return seen


# Every new route, and every route with a new reference field, with one of Alice's ids in it.
FOREIGN_REFERENCES = [
    # Alice's list on the list routes.
    pytest.param("GET", "/api/v1/lists/{alice_list}", None, id="get-list"),
    pytest.param("PATCH", "/api/v1/lists/{alice_list}", {"name": "Bob's now"}, id="patch-list"),
    pytest.param("PATCH", "/api/v1/lists/{alice_list}", {"archived": True}, id="archive-list"),
    pytest.param("DELETE", "/api/v1/lists/{alice_list}", None, id="delete-list"),
    pytest.param("POST", "/api/v1/lists/{alice_list}/move", {"after": None}, id="move-list"),
    pytest.param(
        "POST", "/api/v1/lists/{alice_list}/move", {"after": "{bob_list}"}, id="move-list-after-bobs"
    ),
    pytest.param(
        "POST", "/api/v1/lists/{bob_list}/move", {"after": "{alice_list}"}, id="move-after-alices-list"
    ),
    # Alice's list as list_id.
    pytest.param("POST", "/api/v1/tasks", {"title": "Bob's", "list_id": "{alice_list}"}, id="create-in-list"),
    pytest.param("PATCH", "/api/v1/tasks/{bob_task}", {"list_id": "{alice_list}"}, id="patch-list-id"),
    pytest.param(
        "PATCH",
        "/api/v1/tasks/{bob_task}",
        {"title": "x", "list_id": "{alice_list}"},
        id="patch-title-and-list-id",
    ),
    pytest.param("POST", "/api/v1/tasks/{bob_task}/move", {"list_id": "{alice_list}"}, id="move-to-list"),
    pytest.param(
        "POST",
        "/api/v1/tasks/bulk",
        {"action": "move", "ids": ["{bob_task}", "{bob_other}"], "list_id": "{alice_list}"},
        id="bulk-move-to-list",
    ),
    pytest.param("GET", "/api/v1/tasks?list_id={alice_list}", None, id="filter-by-list"),
    pytest.param(
        "GET", "/api/v1/tasks?list_id={alice_list}&sort=position&top_level=true", None, id="manual-order"
    ),
    pytest.param("GET", "/api/v1/tasks/stats?list_id={alice_list}", None, id="stats-of-list"),
    # Alice's task as parent_id.
    pytest.param("POST", "/api/v1/tasks", {"title": "Bob's", "parent_id": "{alice_task}"}, id="create-under"),
    pytest.param(
        "POST",
        "/api/v1/tasks",
        {"title": "Bob's", "parent_id": "{alice_sub}", "list_id": "{bob_list}"},
        id="create-under-in-own-list",
    ),
    pytest.param("PATCH", "/api/v1/tasks/{bob_task}", {"parent_id": "{alice_task}"}, id="patch-parent-id"),
    pytest.param("POST", "/api/v1/tasks/{bob_task}/move", {"parent_id": "{alice_sub}"}, id="move-under"),
    pytest.param("GET", "/api/v1/tasks?parent_id={alice_task}", None, id="filter-by-parent"),
    # Alice's task as after.
    pytest.param("POST", "/api/v1/tasks/{bob_task}/move", {"after": "{alice_task}"}, id="move-after"),
    pytest.param(
        "POST",
        "/api/v1/tasks/{bob_task}/move",
        {"list_id": "{bob_list}", "parent_id": None, "after": "{alice_sub}"},
        id="move-after-with-own-place",
    ),
    # Alice's task moved by Bob.
    pytest.param(
        "POST", "/api/v1/tasks/{alice_task}/move", {"list_id": "{bob_list}"}, id="move-alices-to-bobs"
    ),
    pytest.param("POST", "/api/v1/tasks/{alice_task}/move", {"after": None}, id="move-alices-first"),
    pytest.param("POST", "/api/v1/tasks/{alice_sub}/move", {"parent_id": None}, id="move-alices-subtask-up"),
    pytest.param("POST", "/api/v1/tasks/{alice_task}/move", {}, id="move-alices-empty"),
    pytest.param("PATCH", "/api/v1/tasks/{alice_task}", {"list_id": None}, id="patch-alices-to-inbox"),
    pytest.param(
        "PATCH", "/api/v1/tasks/{alice_sub}", {"parent_id": "{bob_task}"}, id="patch-alices-under-bobs"
    ),
]


def _with_if_match(references: list[Any]) -> list[Any]:
    """Each request as it is; a write on one list or task also with If-Match naming version 1
    (every resource of the world is at version 1) and with `*`: neither may get past the 404."""
    cases = []
    for reference in references:
        method, path, body = reference.values
        cases.append(pytest.param(method, path, body, None, id=reference.id))
        if method in ("PATCH", "DELETE") or path.endswith("/move"):
            for if_match, name in (('"1"', "etag-1"), ("*", "star")):
                cases.append(pytest.param(method, path, body, if_match, id=f"{reference.id}-{name}"))
    return cases


@pytest.mark.parametrize(("method", "path", "body", "if_match"), _with_if_match(FOREIGN_REFERENCES))
async def test_another_users_list_or_task_is_not_found_and_nothing_changes(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    bob: dict[str, str],
    method: str,
    path: str,
    body: Any,
    if_match: str | None,
) -> None:
    ids = await _world(client, alice, bob)
    alice_before, bob_before = await _snapshot(client, alice), await _snapshot(client, bob)
    headers = bob if if_match is None else {**bob, "If-Match": if_match}
    unknown_ids = {**ids, **dict.fromkeys(ALICES, UNKNOWN)}

    response = await client.request(method, _filled(path, ids), json=_filled(body, ids), headers=headers)
    unknown = await client.request(
        method, _filled(path, unknown_ids), json=_filled(body, unknown_ids), headers=headers
    )

    problem = assert_problem(response, 404)
    assert problem == assert_problem(unknown, 404)
    assert "Alice" not in response.text
    assert await _snapshot(client, alice) == alice_before
    assert await _snapshot(client, bob) == bob_before


async def test_bulk_moving_another_users_tasks_names_them_missing_and_moves_nothing(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    ids = await _world(client, alice, bob)
    alice_before, bob_before = await _snapshot(client, alice), await _snapshot(client, bob)
    alices = [ids["{alice_task}"], ids["{alice_sub}"]]

    for list_id in (ids["{bob_list}"], None):
        response = await client.post(
            f"{TASKS}/bulk",
            json={"action": "move", "ids": [ids["{bob_other}"], *alices], "list_id": list_id},
            headers=bob,
        )
        assert assert_problem(response, 404)["missing_ids"] == alices

    assert await _snapshot(client, alice) == alice_before
    assert await _snapshot(client, bob) == bob_before


async def test_each_user_sees_only_their_own_lists_and_counts(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    ids = await _world(client, alice, bob)

    bobs_lists = (await client.get(LISTS, headers=bob)).json()["items"]
    bobs_archive = (await client.get(LISTS, params={"archived": "true"}, headers=bob)).json()["items"]
    bobs_stats = (await client.get(f"{TASKS}/stats", headers=bob)).json()
    bobs_inbox = (await client.get(TASKS, params={"list_id": "inbox"}, headers=bob)).json()["items"]
    bobs_top = (await client.get(TASKS, params={"top_level": "true", "sort": "position"}, headers=bob)).json()

    assert [(item["id"], item["name"], item["open_tasks"]) for item in bobs_lists] == [
        (ids["{bob_list}"], "Bob's list", 1)
    ]
    assert bobs_archive == []
    assert bobs_stats == {"total": 2, "completed": 0, "pending": 2, "overdue": 0}
    assert [task["id"] for task in bobs_inbox] == [ids["{bob_other}"]]
    assert {task["id"] for task in bobs_top["items"]} == {ids["{bob_task}"], ids["{bob_other}"]}
    alices_lists = (await client.get(LISTS, headers=alice)).json()["items"]
    assert [(item["name"], item["open_tasks"]) for item in alices_lists] == [("Alice's secret list", 2)]


async def test_bob_may_use_the_same_names_and_his_lists_order_is_his_own(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    first = await _create_list(client, alice, "Shared name")
    await _create_list(client, alice, "Second")
    alice_before = await _snapshot(client, alice)
    b1 = await _create_list(client, bob, "Shared name")
    b2 = await _create_list(client, bob, "Other")

    moved = await client.post(f"{LISTS}/{b2['id']}/move", json={"after": None}, headers=bob)

    assert moved.status_code == 200, moved.text
    assert [item["id"] for item in (await client.get(LISTS, headers=bob)).json()["items"]] == [
        b2["id"],
        b1["id"],
    ]
    assert await _snapshot(client, alice) == alice_before
    assert b1["id"] != first["id"]
