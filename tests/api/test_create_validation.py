"""POST /api/v1/tasks refuses a body that breaks the task's rules with a 422 problem."""

from typing import Any

import httpx
import pytest

from tests.api.helpers import TASKS, assert_invalid

INVALID_BODIES = [
    pytest.param({}, "title", id="missing-title"),
    pytest.param({"title": "   "}, "title", id="blank-title"),
    pytest.param({"title": ""}, "title", id="empty-title"),
    pytest.param({"title": "a" * 201}, "title", id="title-of-201-characters"),
    pytest.param({"title": None}, "title", id="null-title"),
    pytest.param({"title": "x", "description": "d" * 2001}, "description", id="description-of-2001"),
    pytest.param({"title": "x", "tags": [f"tag{n}" for n in range(21)]}, "tags", id="21-tags"),
    pytest.param({"title": "x", "tags": ["t" * 51]}, "tags", id="tag-of-51-characters"),
    pytest.param({"title": "x", "tags": ["  "]}, "tags", id="blank-tag"),
    pytest.param({"title": "x", "tags": "home"}, "tags", id="tags-not-a-list"),
    pytest.param({"title": "x", "priority": "urgent"}, "priority", id="unknown-priority"),
    pytest.param({"title": "x", "priority": None}, "priority", id="null-priority"),
    pytest.param({"title": "x", "due_at": "2030-01-05T10:00:00"}, "due_at", id="naive-due-at"),
    pytest.param({"title": "x", "due_at": "next tuesday"}, "due_at", id="due-at-not-a-time"),
    pytest.param({"title": "x", "recurrence": "yearly"}, "recurrence", id="unknown-recurrence"),
    pytest.param({"title": "x", "completed": "maybe"}, "completed", id="completed-not-a-bool"),
]


@pytest.mark.parametrize(("body", "field"), INVALID_BODIES)
async def test_a_task_breaking_a_rule_is_refused_naming_the_field(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post(TASKS, json=body, headers=alice)

    assert_invalid(response, field)


async def test_a_refused_task_is_not_stored(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    await client.post(TASKS, json={"title": "a" * 201}, headers=alice)

    listed = await client.get(TASKS, headers=alice)

    assert listed.json()["items"] == []


async def test_a_body_that_is_not_json_is_refused(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    headers = {**alice, "Content-Type": "application/json"}

    response = await client.post(TASKS, content=b'{"title": "Buy', headers=headers)

    assert_invalid(response)


async def test_a_json_body_that_is_not_an_object_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(TASKS, json=["Buy milk"], headers=alice)

    assert_invalid(response)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"title": "Buy\u0000milk"}, "title", id="title"),
        pytest.param({"title": "x", "description": "one\u0000two"}, "description", id="description"),
        pytest.param({"title": "x", "tags": ["ho\u0000me"]}, "tags", id="tag"),
    ],
)
async def test_text_with_a_nul_character_is_refused_on_every_database(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post(TASKS, json=body, headers=alice)

    assert_invalid(response, field)


@pytest.mark.parametrize("due_at", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
async def test_a_due_time_outside_the_representable_range_in_utc_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], due_at: str
) -> None:
    response = await client.post(TASKS, json={"title": "x", "due_at": due_at}, headers=alice)

    assert_invalid(response, "due_at")
