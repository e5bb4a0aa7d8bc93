"""GET /api/v1/tasks/stats and GET /api/v1/tags: counts over the caller's own tasks."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import TASKS, assert_problem, create_task, task_url

STATS = f"{TASKS}/stats"
TAGS = "/api/v1/tags"
LONG_AGO, FAR_AHEAD = "2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z"


async def test_stats_count_total_completed_pending_and_overdue_tasks(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create_task(client, alice, title="late", due_at=LONG_AGO)
    await create_task(client, alice, title="late in another zone", due_at="2021-06-01T23:30:00-05:00")
    await create_task(client, alice, title="not yet due", due_at=FAR_AHEAD)
    await create_task(client, alice, title="no due date")
    await create_task(client, alice, title="done late", due_at=LONG_AGO, completed=True)
    await create_task(client, alice, title="done", completed=True)

    response = await client.get(STATS, headers=alice)

    assert response.status_code == 200, response.text
    assert response.json() == {"total": 6, "completed": 2, "pending": 4, "overdue": 2}


async def test_stats_follow_every_change(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    late = await create_task(client, alice, title="late", due_at=LONG_AGO)
    gone = await create_task(client, alice, title="gone")
    await client.post(f"{task_url(late['id'])}/toggle", headers=alice)
    await client.delete(task_url(gone["id"]), headers=alice)

    response = await client.get(STATS, headers=alice)

    assert response.json() == {"total": 1, "completed": 1, "pending": 0, "overdue": 0}


async def test_stats_of_a_user_without_tasks_are_all_zero(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get(STATS, headers=alice)

    assert response.status_code == 200, response.text
    assert response.json() == {"total": 0, "completed": 0, "pending": 0, "overdue": 0}


async def test_tags_count_the_tasks_carrying_each_most_used_first_then_by_name(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create_task(client, alice, tags=["Home", "work"])
    await create_task(client, alice, tags=[" HOME "])
    await create_task(client, alice, tags=["WORK", "errands"])
    await create_task(client, alice, tags=["Work", "Work"])
    await create_task(client, alice, tags=["admin"], completed=True)
    await create_task(client, alice, title="untagged")

    response = await client.get(TAGS, headers=alice)

    assert response.status_code == 200, response.text
    assert response.json() == [
        {"name": "work", "count": 3},
        {"name": "home", "count": 2},
        {"name": "admin", "count": 1},
        {"name": "errands", "count": 1},
    ]


async def test_tags_of_a_user_without_tasks_are_empty(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get(TAGS, headers=alice)

    assert response.status_code == 200, response.text
    assert response.json() == []


async def test_another_users_tasks_are_neither_counted_nor_tagged(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    await create_task(client, alice, tags=["private"], due_at=LONG_AGO)
    await create_task(client, alice, tags=["private"], completed=True)
    await create_task(client, bob, tags=["mine"])

    stats = await client.get(STATS, headers=bob)
    tags = await client.get(TAGS, headers=bob)

    assert stats.json() == {"total": 1, "completed": 0, "pending": 1, "overdue": 0}
    assert tags.json() == [{"name": "mine", "count": 1}]


async def test_a_user_without_tasks_sees_zeros_and_no_tags_whatever_others_have(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    await create_task(client, alice, tags=["private"], due_at=LONG_AGO)

    stats = await client.get(STATS, headers=bob)
    tags = await client.get(TAGS, headers=bob)

    assert stats.json() == {"total": 0, "completed": 0, "pending": 0, "overdue": 0}
    assert tags.json() == []


@pytest.mark.parametrize("path", [STATS, TAGS])
async def test_reports_need_a_bearer_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_another_method_on_stats_is_a_405_naming_get_and_head_not_a_task_id_problem(
    client: httpx.AsyncClient, alice: dict[str, str], method: str
) -> None:
    response = await client.request(method, STATS, headers=alice)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD"
