"""Bodies carry only client-settable fields: unknown or server-owned ones get a 422 on every write."""

from typing import Any

import httpx
import pytest

from tests.api.helpers import TASKS, assert_invalid, create_task, task_url

REFUSED_FIELDS = [
    pytest.param("colour", "red", id="unknown-colour"),
    pytest.param("id", "01900000-0000-7000-8000-000000000000", id="id"),
    pytest.param("user_id", "someone-else", id="user_id"),
    pytest.param("version", 7, id="version"),
    pytest.param("created_at", "2030-01-01T00:00:00Z", id="created_at"),
    pytest.param("updated_at", "2030-01-01T00:00:00Z", id="updated_at"),
    pytest.param("completed_at", "2030-01-01T00:00:00Z", id="completed_at"),
]


@pytest.mark.parametrize(("field", "value"), REFUSED_FIELDS)
async def test_creating_with_a_field_the_client_may_not_set_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], field: str, value: Any
) -> None:
    response = await client.post(TASKS, json={"title": "Buy milk", field: value}, headers=alice)

    assert_invalid(response, field)
    assert (await client.get(TASKS, headers=alice)).json()["items"] == []


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize(("field", "value"), REFUSED_FIELDS)
async def test_changing_with_a_field_the_client_may_not_set_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str], method: str, field: str, value: Any
) -> None:
    task = await create_task(client, alice, title="Buy milk")

    response = await client.request(
        method, task_url(task["id"]), json={"title": "Buy bread", field: value}, headers=alice
    )

    assert_invalid(response, field)
    assert (await client.get(task_url(task["id"]), headers=alice)).json() == task
