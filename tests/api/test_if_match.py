"""If-Match on every write: a stale or malformed ETag is a 412 changing nothing; `*` or a fresh one pass."""

import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_problem, create_task, task_url

WRITES = [
    pytest.param("PATCH", "", {"title": "Changed"}, 200, id="patch"),
    pytest.param("PUT", "", {"title": "Changed"}, 200, id="put"),
    pytest.param("POST", "/toggle", None, 200, id="toggle"),
    pytest.param("DELETE", "", None, 204, id="delete"),
]


async def _changed_once(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """A task at version 2, so that `"1"` is stale."""
    task = await create_task(client, headers, title="Original")
    response = await client.patch(task_url(task["id"]), json={"priority": "high"}, headers=headers)
    changed: dict[str, Any] = response.json()
    assert changed["version"] == 2
    return changed


@pytest.mark.parametrize(("method", "suffix", "body", "success"), WRITES)
async def test_a_stale_etag_fails_the_precondition_and_the_task_is_unchanged(
    client: httpx.AsyncClient, alice: dict[str, str], method: str, suffix: str, body: Any, success: int
) -> None:
    task = await _changed_once(client, alice)

    response = await client.request(
        method, task_url(task["id"]) + suffix, json=body, headers={**alice, "If-Match": '"1"'}
    )

    assert_problem(response, 412)
    assert (await client.get(task_url(task["id"]), headers=alice)).json() == task


@pytest.mark.parametrize("if_match", ['"2"', "*"])
@pytest.mark.parametrize(("method", "suffix", "body", "success"), WRITES)
async def test_the_current_etag_or_a_star_lets_the_write_through(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    method: str,
    suffix: str,
    body: Any,
    success: int,
    if_match: str,
) -> None:
    task = await _changed_once(client, alice)

    response = await client.request(
        method, task_url(task["id"]) + suffix, json=body, headers={**alice, "If-Match": if_match}
    )

    assert response.status_code == success, response.text
    after = await client.get(task_url(task["id"]), headers=alice)
    if method == "DELETE":
        assert after.status_code == 404
    else:
        assert after.json()["version"] == 3
        assert response.headers["ETag"] == '"3"'


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        # Entity tags that name no version of the task: the precondition fails.
        ('W/"2"', 412),
        ('"02"', 412),
        ('"two"', 412),
        ('""', 412),
        # Not entity tags at all: the request is malformed, and nothing claims the task changed.
        ("2", 400),
        ("'2'", 400),
    ],
)
@pytest.mark.parametrize(("method", "suffix", "body", "success"), WRITES)
async def test_an_if_match_naming_no_version_or_malformed_leaves_the_task_unchanged(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    method: str,
    suffix: str,
    body: Any,
    success: int,
    if_match: str,
    status: int,
) -> None:
    task = await _changed_once(client, alice)

    response = await client.request(
        method, task_url(task["id"]) + suffix, json=body, headers={**alice, "If-Match": if_match}
    )

    assert_problem(response, status)
    assert (await client.get(task_url(task["id"]), headers=alice)).json() == task


@pytest.mark.parametrize(("method", "suffix", "body", "success"), WRITES)
async def test_an_etag_for_an_unknown_task_is_not_found(
    client: httpx.AsyncClient, alice: dict[str, str], method: str, suffix: str, body: Any, success: int
) -> None:
    url = task_url(str(uuid.uuid4())) + suffix

    response = await client.request(method, url, json=body, headers={**alice, "If-Match": '"1"'})

    assert_problem(response, 404)


@pytest.mark.parametrize(("method", "suffix", "body", "success"), WRITES)
async def test_an_if_match_list_naming_the_current_etag_lets_the_write_through(
    client: httpx.AsyncClient, alice: dict[str, str], method: str, suffix: str, body: Any, success: int
) -> None:
    task = await _changed_once(client, alice)

    response = await client.request(
        method, task_url(task["id"]) + suffix, json=body, headers={**alice, "If-Match": '"1", "2"'}
    )

    assert response.status_code == success, response.text
