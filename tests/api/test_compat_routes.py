"""/api/{user_id}/tasks: the v1 task routes for the caller the path names, and a 404 for any other path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.api.helpers import TASK_FIELDS, TASKS, assert_invalid, assert_problem, create_task, task_url
from tests.support.app import auth

ALIASES = {"is_completed", "due_date", "user_id"}  # what these clients read, beside v1's fields
UNKNOWN_TASK = "01900000-0000-7000-8000-000000000000"
RECURRING = {"title": "Water the plants", "recurrence": "weekly", "due_at": "2030-01-05T10:00:00Z"}

# Every compatibility route: method, path after /api/{user_id}/tasks ("{id}" is a task's), body.
ROUTES_ON_ONE_TASK = [
    pytest.param("GET", "/{id}", None, id="get"),
    pytest.param("PUT", "/{id}", {"title": "Mine now"}, id="put"),
    pytest.param("DELETE", "/{id}", None, id="delete"),
    pytest.param("PATCH", "/{id}/complete", None, id="complete"),
]
COMPAT_ROUTES = [
    pytest.param("GET", "", None, id="list"),
    pytest.param("POST", "", {"title": "Mine now"}, id="create"),
    *ROUTES_ON_ONE_TASK,
]
COMPAT_WRITES = [
    pytest.param("PUT", "", {"title": "Changed"}, 200, id="put"),
    pytest.param("DELETE", "", None, 200, id="delete"),
    pytest.param("PATCH", "/complete", None, 200, id="complete"),
]


@dataclass(frozen=True)
class User:
    """A caller whose id the test knows, so that it can be put in the path."""

    sub: str
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", auth(self.sub))

    @property
    def tasks(self) -> str:
        return f"/api/{quote(self.sub, safe='')}/tasks"

    def task(self, task_id: str, suffix: str = "") -> str:
        return f"{self.tasks}/{task_id}{suffix}"


@pytest.fixture
def alice_user() -> User:
    return User(f"alice-{uuid.uuid4()}")


@pytest.fixture
def bob_user() -> User:
    return User(f"bob-{uuid.uuid4()}")


async def _create(client: httpx.AsyncClient, user: User, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        user.tasks, json={"title": "Write the report", **fields}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def v1_view(task: dict[str, Any]) -> dict[str, Any]:
    """The task without the alias fields: what v1 answers."""
    return {name: value for name, value in task.items() if name not in ALIASES}


# --- each route does what its v1 twin does ---------------------------------------------------


async def test_creating_a_task_answers_201_with_the_task_its_etag_and_a_location_to_fetch_it(
    client: httpx.AsyncClient, alice_user: User
) -> None:
    body = {"title": "Buy milk", "description": "Oat", "priority": "high", "tags": ["home"]}

    response = await client.post(alice_user.tasks, json=body, headers=alice_user.headers)

    assert response.status_code == 201, response.text
    task = response.json()
    assert set(task) == TASK_FIELDS | ALIASES
    assert {name: task[name] for name in body} == body
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == alice_user.task(task["id"])
    assert (await client.get(response.headers["Location"], headers=alice_user.headers)).json() == task


async def test_the_location_escapes_a_user_id_that_is_not_plain_text(client: httpx.AsyncClient) -> None:
    user = User(f"auth0|{uuid.uuid4()} x")

    response = await client.post(user.tasks, json={"title": "Buy milk"}, headers=user.headers)

    location = response.headers["Location"]
    assert location.startswith("/api/auth0%7C")
    assert " " not in location
    assert (await client.get(location, headers=user.headers)).json() == response.json()


async def test_listing_answers_a_plain_array_of_only_the_callers_tasks_newest_first(
    client: httpx.AsyncClient, alice_user: User, bob_user: User
) -> None:
    older = await _create(client, alice_user, title="Older")
    newer = await _create(client, alice_user, title="Newer")
    bobs = await _create(client, bob_user, title="Bob's")

    alices_list = await client.get(alice_user.tasks, headers=alice_user.headers)
    bobs_list = await client.get(bob_user.tasks, headers=bob_user.headers)

    assert alices_list.status_code == 200
    assert alices_list.json() == [newer, older]
    assert bobs_list.json() == [bobs]


async def test_listing_filters_by_completion_and_stops_at_the_limit(
    client: httpx.AsyncClient, alice_user: User
) -> None:
    done = await _create(client, alice_user, title="Done", completed=True)
    first = await _create(client, alice_user, title="First")
    second = await _create(client, alice_user, title="Second")

    completed = await client.get(alice_user.tasks, params={"completed": "true"}, headers=alice_user.headers)
    limited = await client.get(alice_user.tasks, params={"limit": 2}, headers=alice_user.headers)

    assert completed.json() == [done]
    assert limited.json() == [second, first]


async def test_listing_without_a_limit_answers_at_most_a_hundred_tasks(
    client: httpx.AsyncClient, alice_user: User
) -> None:
    for n in range(101):
        await _create(client, alice_user, title=f"task {n}")

    response = await client.get(alice_user.tasks, headers=alice_user.headers)

    titles = [task["title"] for task in response.json()]
    assert len(titles) == 100
    assert titles[0] == "task 100"
    assert "task 0" not in titles


@pytest.mark.parametrize("limit", [0, 101, "many"])
async def test_a_list_limit_outside_one_to_a_hundred_is_refused(
    client: httpx.AsyncClient, alice_user: User, limit: object
) -> None:
    response = await client.get(alice_user.tasks, params={"limit": limit}, headers=alice_user.headers)

    assert_invalid(response, "limit")


async def test_getting_a_task_answers_it_with_its_etag(client: httpx.AsyncClient, alice_user: User) -> None:
    task = await _create(client, alice_user)

    response = await client.get(alice_user.task(task["id"]), headers=alice_user.headers)

    assert response.status_code == 200
    assert response.json() == task
    assert response.headers["ETag"] == '"1"'


async def test_completing_a_recurring_task_creates_its_next_occurrence_as_toggle_does(
    client: httpx.AsyncClient, alice_user: User
) -> None:
    task = await _create(client, alice_user, **RECURRING)

    response = await client.patch(alice_user.task(task["id"], "/complete"), headers=alice_user.headers)

    assert response.json()["id"] == task["id"]
    assert response.json()["completed"] is True
    pending = (
        await client.get(alice_user.tasks, params={"completed": "false"}, headers=alice_user.headers)
    ).json()
    assert len(pending) == 1
    assert pending[0]["id"] != task["id"]
    assert {name: pending[0][name] for name in RECURRING} == {**RECURRING, "due_at": "2030-01-12T10:00:00Z"}


@pytest.mark.parametrize(("method", "suffix", "body", "success"), COMPAT_WRITES)
async def test_a_stale_if_match_fails_the_precondition_and_the_task_is_unchanged(
    client: httpx.AsyncClient, alice_user: User, method: str, suffix: str, body: Any, success: int
) -> None:
    created = await _create(client, alice_user)
    task = (
        await client.patch(alice_user.task(created["id"], "/complete"), headers=alice_user.headers)
    ).json()
    stale = {**alice_user.headers, "If-Match": '"1"'}

    response = await client.request(method, alice_user.task(task["id"], suffix), json=body, headers=stale)

    assert_problem(response, 412)
    assert (await client.get(alice_user.task(task["id"]), headers=alice_user.headers)).json() == task


@pytest.mark.parametrize(("method", "suffix", "body", "success"), COMPAT_WRITES)
async def test_the_current_etag_lets_the_write_through(
    client: httpx.AsyncClient, alice_user: User, method: str, suffix: str, body: Any, success: int
) -> None:
    task = await _create(client, alice_user)
    current = {**alice_user.headers, "If-Match": '"1"'}

    response = await client.request(method, alice_user.task(task["id"], suffix), json=body, headers=current)

    assert response.status_code == success, response.text


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES_ON_ONE_TASK)
async def test_an_unknown_task_on_the_callers_own_path_is_the_same_404_as_on_v1(
    client: httpx.AsyncClient, alice_user: User, method: str, suffix: str, body: Any
) -> None:
    url = alice_user.tasks + suffix.format(id=UNKNOWN_TASK)

    response = await client.request(method, url, json=body, headers=alice_user.headers)

    v1 = await client.get(task_url(UNKNOWN_TASK), headers=alice_user.headers)
    assert assert_problem(response, 404) == assert_problem(v1, 404)


async def test_a_task_id_that_is_not_a_uuid_or_a_body_that_is_not_a_task_is_refused(
    client: httpx.AsyncClient, alice_user: User
) -> None:
    bad_id = await client.get(alice_user.task("not-a-uuid"), headers=alice_user.headers)
    bad_body = await client.post(
        alice_user.tasks, json={"title": " ", "id": "mine"}, headers=alice_user.headers
    )

    assert_invalid(bad_id, "task_id")
    assert_invalid(bad_body, "title")


async def test_a_method_the_path_does_not_answer_is_a_405_naming_the_ones_it_does(
    client: httpx.AsyncClient, alice_user: User
) -> None:
    response = await client.post(alice_user.task(UNKNOWN_TASK), json={}, headers=alice_user.headers)

    assert_problem(response, 405)
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "PUT", "PATCH", "DELETE"}


# --- one task, two families of routes --------------------------------------------------------


async def test_a_task_made_through_the_compatibility_routes_is_the_same_task_on_v1(
    client: httpx.AsyncClient, alice_user: User
) -> None:
    task = await _create(client, alice_user, title="Made here")

    fetched = await client.get(task_url(task["id"]), headers=alice_user.headers)
    listed = await client.get(TASKS, headers=alice_user.headers)

    assert fetched.json() == v1_view(task)
    assert listed.json()["items"] == [v1_view(task)]


async def test_a_task_made_on_v1_can_be_read_listed_and_completed_through_the_compatibility_routes(
    client: httpx.AsyncClient, alice_user: User
) -> None:
    task = await create_task(client, alice_user.headers, title="Made on v1")

    fetched = await client.get(alice_user.task(task["id"]), headers=alice_user.headers)
    listed = await client.get(alice_user.tasks, headers=alice_user.headers)
    await client.patch(alice_user.task(task["id"], "/complete"), headers=alice_user.headers)

    assert v1_view(fetched.json()) == task
    assert [v1_view(item) for item in listed.json()] == [task]
    assert (await client.get(task_url(task["id"]), headers=alice_user.headers)).json()["completed"] is True


async def test_the_v1_collection_is_never_read_as_the_tasks_of_a_user_called_v1(
    client: httpx.AsyncClient,
) -> None:
    v1 = User("v1")

    response = await client.get("/api/v1/tasks", headers=v1.headers)

    assert set(response.json()) == {"items", "next_cursor"}


# --- any path but the caller's own is a 404, before anything else happens ---------------------


def _path_user_id(whose: str, alice_user: User, bob_user: User) -> str:
    return {
        "another-users": alice_user.sub,
        "nobodys": f"nobody-{uuid.uuid4()}",
        "the-callers-in-capitals": bob_user.sub.upper(),
    }[whose]


@pytest.mark.parametrize("whose", ["another-users", "nobodys", "the-callers-in-capitals"])
@pytest.mark.parametrize(("method", "suffix", "body"), COMPAT_ROUTES)
async def test_a_path_naming_anyone_but_the_caller_is_not_found_and_nothing_changes(
    client: httpx.AsyncClient,
    alice_user: User,
    bob_user: User,
    method: str,
    suffix: str,
    body: Any,
    whose: str,
) -> None:
    task = await _create(client, alice_user, title="Alice's secret", tags=["private"])
    before = await client.get(TASKS, headers=alice_user.headers)
    path_owner = User(_path_user_id(whose, alice_user, bob_user))
    url = path_owner.tasks + suffix.format(id=task["id"])

    response = await client.request(method, url, json=body, headers=bob_user.headers)

    unknown = await client.get(bob_user.task(UNKNOWN_TASK), headers=bob_user.headers)
    assert assert_problem(response, 404) == assert_problem(unknown, 404)
    assert "Alice" not in response.text
    assert (await client.get(TASKS, headers=alice_user.headers)).content == before.content
    assert (await client.get(bob_user.tasks, headers=bob_user.headers)).json() == []


@pytest.mark.parametrize(("method", "suffix", "body"), COMPAT_ROUTES)
async def test_another_users_path_is_not_found_before_the_request_is_validated(
    client: httpx.AsyncClient, alice_user: User, bob_user: User, method: str, suffix: str, body: Any
) -> None:
    url = alice_user.tasks + suffix.format(id="not-a-uuid")
    headers = {**bob_user.headers, "If-Match": '"999"'}

    response = await client.request(
        method, url, params={"limit": 0}, json={"title": "", "id": "forged"}, headers=headers
    )

    assert_problem(response, 404)


@pytest.mark.parametrize(("method", "suffix", "body"), COMPAT_ROUTES)
async def test_every_route_wants_a_token_even_on_the_right_path(
    client: httpx.AsyncClient, alice_user: User, method: str, suffix: str, body: Any
) -> None:
    task = await _create(client, alice_user)

    response = await client.request(method, alice_user.tasks + suffix.format(id=task["id"]), json=body)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
