"""What frontends written to the todo full-stack spec send and read, on each family of compatibility
routes (/api/{user_id}, /api/users/{user_id}, /api), through the real app on every backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from entrypoints.http.app import create_app
from tests.api.helpers import TASK_FIELDS, assert_invalid, assert_problem
from tests.conftest import BACKENDS
from tests.support.app import auth, running, test_settings
from tests.support.databases import backend

ALIASES = {"is_completed", "due_date", "user_id"}


@dataclass(frozen=True)
class Caller:
    """A user, and the URLs of one family of compatibility routes for them."""

    sub: str
    family: str

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.sub)

    @property
    def base(self) -> str:
        user = quote(self.sub, safe="")
        return {"path": f"/api/{user}", "users": f"/api/users/{user}", "token": "/api"}[self.family]

    @property
    def tasks(self) -> str:
        return f"{self.base}/tasks"

    def task(self, task_id: str, suffix: str = "") -> str:
        return f"{self.tasks}/{task_id}{suffix}"


FAMILIES = ["path", "users", "token"]


@pytest.fixture(params=FAMILIES)
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def caller(family: str) -> Caller:
    return Caller(f"alice-{uuid.uuid4()}", family)


@pytest.fixture
def other(family: str) -> Caller:
    return Caller(f"bob-{uuid.uuid4()}", family)


async def made(client: httpx.AsyncClient, caller: Caller, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        caller.tasks, json={"title": "Write the report", **fields}, headers=caller.headers
    )
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


# --- what they send ---------------------------------------------------------------------------


async def test_a_task_sent_in_these_clients_spellings_is_read_as_meant(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    body = {
        "title": "Pay rent",
        "due_date": "2026-03-05",
        "is_completed": True,
        "priority": "Medium",
        "recurrence_rule": "FREQ=MONTHLY",
        "tags": "home, money",
        "user_id": "someone-else",  # the owner is the token's; a body cannot change it
        "reminder_offset": 30,
    }

    response = await client.post(caller.tasks, json=body, headers=caller.headers)

    assert response.status_code == 201, response.text
    task = response.json()
    assert set(task) == TASK_FIELDS | ALIASES
    assert task["due_at"] == task["due_date"] == "2026-03-05T00:00:00Z"
    assert task["completed"] is task["is_completed"] is True
    assert (task["priority"], task["recurrence"], task["tags"]) == ("medium", "monthly", ["home", "money"])
    assert task["user_id"] == caller.sub
    assert response.headers["Location"] == caller.task(task["id"])
    fetched = await client.get(response.headers["Location"], headers=caller.headers)
    assert fetched.json() == task


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("priority", "URGENT", "high"),
        ("priority", "low", "low"),
        ("recurrence", "Weekly", "weekly"),
        ("recurrence_rule", "none", None),
        ("target_completion_date", "2026-03-05T09:30:00", "2026-03-05T09:30:00Z"),
        ("due_at", "2026-03-05T09:30:00+02:00", "2026-03-05T07:30:00Z"),
        ("completed", False, False),
    ],
)
async def test_each_spelling_of_a_value_is_stored_as_v1_would_store_it(
    client: httpx.AsyncClient, caller: Caller, field: str, value: object, stored: object
) -> None:
    task = await made(client, caller, **{field: value})

    v1_name = {"recurrence_rule": "recurrence", "target_completion_date": "due_at"}.get(field, field)
    assert task[v1_name] == stored


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("priority", "critical", "low, medium or high"),
        ("recurrence", "yearly", "daily, weekly or monthly"),
        ("recurrence_rule", "FREQ=DAILY;INTERVAL=2", "daily, weekly or monthly"),
        ("due_date", "next week", "a date (2026-03-05)"),
        ("due_date", 1767225600, "a date (2026-03-05)"),
        ("is_completed", 1, "valid boolean"),  # no guess at what a number means
    ],
)
async def test_a_value_that_names_nothing_known_is_refused_saying_what_is_accepted(
    client: httpx.AsyncClient, caller: Caller, field: str, value: object, said: str
) -> None:
    response = await client.post(caller.tasks, json={"title": "x", field: value}, headers=caller.headers)

    body = assert_invalid(response)
    assert any(said in error["msg"] for error in body["errors"]), body
    after = await client.get(caller.tasks, headers=caller.headers)
    assert after.json() == []  # nothing was made


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_an_update_changes_the_fields_sent_in_any_spelling_and_keeps_the_others(
    client: httpx.AsyncClient, caller: Caller, method: str
) -> None:
    task = await made(client, caller, description="Oat milk", priority="high", tags=["home"])

    response = await client.request(
        method,
        caller.task(task["id"]),
        json={"is_completed": True, "due_date": "2026-04-01", "description": None, "user_id": "x"},
        headers=caller.headers,
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["completed"], changed["due_date"], changed["description"]) == (
        True,
        "2026-04-01T00:00:00Z",
        None,
    )
    assert (changed["title"], changed["priority"], changed["tags"]) == (task["title"], "high", ["home"])
    assert changed["version"] == 2
    assert response.headers["ETag"] == '"2"'


async def test_an_update_may_not_empty_a_field_that_cannot_be_empty(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    task = await made(client, caller)

    response = await client.patch(caller.task(task["id"]), json={"title": None}, headers=caller.headers)

    assert_invalid(response, "title")
    assert (await client.get(caller.task(task["id"]), headers=caller.headers)).json() == task


# --- completing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "action"), [("PATCH", "complete"), ("POST", "toggle"), ("POST", "complete")]
)
async def test_complete_and_toggle_flip_the_task_one_way_then_the_other(
    client: httpx.AsyncClient, caller: Caller, method: str, action: str
) -> None:
    task = await made(client, caller)
    url = caller.task(task["id"], f"/{action}")

    first = await client.request(method, url, headers=caller.headers)
    second = await client.request(method, url, headers=caller.headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["is_completed"], second.json()["is_completed"]) == (True, False)


async def test_complete_with_the_state_wanted_sets_it_whatever_it_was(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    task = await made(client, caller)
    url = caller.task(task["id"], "/complete")

    done = [
        (await client.patch(url, json={"completed": True}, headers=caller.headers)).json() for _ in range(2)
    ]
    undone = await client.patch(url, json={"is_completed": False}, headers=caller.headers)

    assert [answer["completed"] for answer in done] == [True, True]
    assert [answer["version"] for answer in done] == [2, 2]  # the second changed nothing
    assert undone.json()["completed"] is False


@pytest.mark.parametrize("action", ["uncomplete", "incomplete"])
async def test_uncomplete_marks_the_task_not_completed_and_is_harmless_when_it_is_not(
    client: httpx.AsyncClient, caller: Caller, action: str
) -> None:
    task = await made(client, caller, completed=True)
    url = caller.task(task["id"], f"/{action}")

    first = await client.post(url, headers=caller.headers)
    again = await client.patch(url, headers=caller.headers)

    assert (first.json()["completed"], first.json()["completed_at"]) == (False, None)
    assert again.json() == first.json()


# --- deleting ---------------------------------------------------------------------------------


async def test_deleting_answers_200_with_an_empty_object_and_the_task_is_gone(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    task = await made(client, caller)

    response = await client.delete(caller.task(task["id"]), headers=caller.headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    assert_problem(await client.get(caller.task(task["id"]), headers=caller.headers), 404)


# --- listing ----------------------------------------------------------------------------------


async def listed(client: httpx.AsyncClient, caller: Caller, **params: Any) -> list[str]:
    response = await client.get(caller.tasks, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()]


@pytest.fixture
async def four(client: httpx.AsyncClient, caller: Caller) -> Caller:
    """Four tasks, made in this order: b (done, high, tag x), a (low, tags x and y), d (medium,
    due soonest), c (done, low)."""
    await made(client, caller, title="b", is_completed=True, priority="high", tags=["x"])
    await made(client, caller, title="a", priority="low", tags=["x", "y"], due_date="2030-02-01")
    await made(client, caller, title="d", description="Milk and bread", due_date="2030-01-01")
    await made(client, caller, title="c", completed=True, priority="low")
    return caller


@pytest.mark.parametrize(
    ("status", "titles"),
    [
        ("all", ["c", "d", "a", "b"]),
        ("Pending", ["d", "a"]),
        ("incomplete", ["d", "a"]),
        ("COMPLETED", ["c", "b"]),
    ],
)
async def test_status_filters_in_any_case(
    client: httpx.AsyncClient, four: Caller, status: str, titles: list[str]
) -> None:
    assert await listed(client, four, status=status) == titles


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"search": "MILK"}, ["d"]),
        ({"q": "milk"}, ["d"]),
        ({"priority": "Low"}, ["c", "a"]),
        ({"tags": "x,y"}, ["a"]),
        ({"tag": ["x", "y"]}, ["a"]),
        ({"sort_by": "title", "sort_order": "asc"}, ["a", "b", "c", "d"]),
        ({"sort": "title", "order": "DESC"}, ["d", "c", "b", "a"]),
        ({"sort_by": "title"}, ["a", "b", "c", "d"]),
        ({"sort": "-title"}, ["d", "c", "b", "a"]),
        ({"sort_by": "due_date"}, ["d", "a", "b", "c"]),  # soonest first; without one last, by id
        ({"sort_by": "priority"}, ["b", "d", "c", "a"]),  # most urgent first
        ({"sort_by": "created_at", "order": "asc"}, ["b", "a", "d", "c"]),
        ({"status": "pending", "sort_by": "title", "page_size": 1}, ["a", "d"]),  # unknown: ignored
    ],
)
async def test_the_list_parameters_these_clients_send_filter_and_sort(
    client: httpx.AsyncClient, four: Caller, params: dict[str, Any], titles: list[str]
) -> None:
    assert await listed(client, four, **params) == titles


async def test_offset_pages_through_the_list_without_repeating_a_task(
    client: httpx.AsyncClient, four: Caller
) -> None:
    pages = [await listed(client, four, limit=3, offset=offset) for offset in (0, 3, 6)]

    assert pages == [["c", "d", "a"], ["b"], []]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": 1001}, "offset"),
        ({"limit": 101}, "limit"),
        ({"status": "someday"}, "status"),
        ({"sort_by": "colour"}, "sort_by"),
        ({"order": "up"}, "sort_order"),
    ],
)
async def test_a_list_parameter_out_of_bounds_or_naming_nothing_known_is_refused(
    client: httpx.AsyncClient, caller: Caller, params: dict[str, Any], field: str
) -> None:
    body = assert_invalid(await client.get(caller.tasks, params=params, headers=caller.headers))

    named = {field, *params}  # the field, or the spelling it was sent as
    assert any(named & set(error["loc"]) for error in body["errors"]), body


@pytest.fixture(params=BACKENDS)
def shaped(request: pytest.FixtureRequest) -> Callable[[str], FastAPI]:
    database = backend(request, request.param)
    return lambda shape: create_app(
        test_settings(database.url, database_pooler=database.pooler, compat_list_shape=shape)
    )


@pytest.fixture
async def object_client(shaped: Callable[[str], FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    async with running(shaped("object")) as client:
        yield client


@pytest.fixture
async def data_client(shaped: Callable[[str], FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    async with running(shaped("data")) as client:
        yield client


async def test_the_object_shape_answers_the_page_and_how_many_the_filters_select(
    object_client: httpx.AsyncClient, caller: Caller
) -> None:
    for title in ("a", "b", "c"):
        await made(object_client, caller, title=title)
    await made(object_client, caller, title="done", completed=True)

    response = await object_client.get(
        caller.tasks, params={"status": "pending", "limit": 2}, headers=caller.headers
    )

    body = response.json()
    assert set(body) == {"tasks", "total"}
    assert [task["title"] for task in body["tasks"]] == ["c", "b"]
    assert body["total"] == 3  # every pending task, not the page
    assert set(body["tasks"][0]) == TASK_FIELDS | ALIASES


async def test_the_data_shape_answers_the_same_under_data(
    data_client: httpx.AsyncClient, caller: Caller
) -> None:
    task = await made(data_client, caller)

    response = await data_client.get(caller.tasks, headers=caller.headers)

    assert response.json() == {"data": {"tasks": [task], "total": 1}}


def test_a_list_shape_that_is_not_one_of_the_three_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="compat_list_shape"):
        test_settings("sqlite+aiosqlite:///:memory:", compat_list_shape="nested")


# --- tags -------------------------------------------------------------------------------------


async def test_the_tags_route_answers_each_tag_with_its_count_in_the_fields_these_clients_read(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    await made(client, caller, tags=["home", "money"])
    await made(client, caller, tags=["home"])

    response = await client.get(f"{caller.base}/tags", headers=caller.headers)

    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": "home", "name": "home", "color": None, "count": 2, "usage_count": 2},
        {"id": "money", "name": "money", "color": None, "count": 1, "usage_count": 1},
    ]


# --- isolation --------------------------------------------------------------------------------


async def test_no_family_shows_or_touches_another_users_task(
    client: httpx.AsyncClient, caller: Caller, other: Caller
) -> None:
    theirs = await made(client, other, title="Bob's", tags=["private"])
    url = caller.task(theirs["id"])

    answers = [
        await client.get(url, headers=caller.headers),
        await client.patch(url, json={"title": "Mine now"}, headers=caller.headers),
        await client.post(f"{url}/toggle", headers=caller.headers),
        await client.delete(url, headers=caller.headers),
    ]

    for answer in answers:
        assert_problem(answer, 404)
    assert await listed(client, caller) == []
    assert (await client.get(f"{caller.base}/tags", headers=caller.headers)).json() == []
    assert (await client.get(other.task(theirs["id"]), headers=other.headers)).json() == theirs


@pytest.mark.parametrize("family", ["path", "users"])
async def test_a_path_naming_another_user_is_not_found_whatever_the_route(
    client: httpx.AsyncClient, caller: Caller, other: Caller
) -> None:
    theirs = await made(client, other)
    as_other = Caller(other.sub, caller.family)

    answers = [
        await client.get(as_other.tasks, headers=caller.headers),
        await client.post(as_other.tasks, json={"title": "x"}, headers=caller.headers),
        await client.get(as_other.task(theirs["id"]), headers=caller.headers),
        await client.get(f"{as_other.base}/tags", headers=caller.headers),
    ]

    for answer in answers:
        assert_problem(answer, 404)
    assert await listed(client, other) == ["Write the report"]


# Every spelling in shapes.py's tables, each against the canonical one it stands for.
STATUS_SPELLINGS = [
    *(("all", spelling) for spelling in ["all"]),
    *(("pending", spelling) for spelling in ["pending", "incomplete", "active", "open", "todo"]),
    *(("completed", spelling) for spelling in ["completed", "complete", "done"]),
]
SORT_SPELLINGS = [
    *(("created_at", spelling) for spelling in ["created_at", "createdAt", "created"]),
    *(("due_at", spelling) for spelling in ["due_at", "due_date", "dueDate", "target_completion_date"]),
    *(("priority", spelling) for spelling in ["priority"]),
    *(("title", spelling) for spelling in ["title", "TITLE"]),
]
ORDER_SPELLINGS = [("asc", "asc"), ("asc", "Ascending"), ("desc", "DESC"), ("desc", "descending")]


@pytest.mark.parametrize(("canonical", "spelling"), STATUS_SPELLINGS)
async def test_every_status_spelling_selects_what_its_canonical_one_does(
    client: httpx.AsyncClient, four: Caller, canonical: str, spelling: str
) -> None:
    assert await listed(client, four, status=spelling) == await listed(client, four, status=canonical)


@pytest.mark.parametrize(("canonical", "spelling"), SORT_SPELLINGS)
@pytest.mark.parametrize(("order", "order_spelling"), ORDER_SPELLINGS)
async def test_every_sort_and_order_spelling_sorts_as_its_canonical_one(
    client: httpx.AsyncClient, four: Caller, canonical: str, spelling: str, order: str, order_spelling: str
) -> None:
    expected = await listed(client, four, sort_by=canonical, sort_order=order)

    assert await listed(client, four, sort_by=spelling, order=order_spelling) == expected


@pytest.mark.parametrize("spelling", ["due_at", "due_date", "target_completion_date", "dueDate"])
async def test_every_spelling_of_the_due_time_sets_it(
    client: httpx.AsyncClient, caller: Caller, spelling: str
) -> None:
    task = await made(client, caller, **{spelling: "2026-03-05T09:30:00Z"})

    assert task["due_at"] == task["due_date"] == "2026-03-05T09:30:00Z"


async def test_what_a_filter_form_sends_when_nothing_is_picked_filters_nothing(
    client: httpx.AsyncClient, four: Caller
) -> None:
    blank = {
        "status": "",
        "search": "",
        "q": " ",
        "priority": "all",
        "sort_by": "",
        "order": "",
        "completed": "",
    }

    assert await listed(client, four, **blank) == await listed(client, four)
    assert await listed(client, four, priority="ANY", status="all") == ["c", "d", "a", "b"]


async def test_complete_refuses_a_state_that_is_not_a_boolean(
    client: httpx.AsyncClient, caller: Caller
) -> None:
    task = await made(client, caller)

    response = await client.patch(
        caller.task(task["id"], "/complete"), json={"completed": "yes"}, headers=caller.headers
    )

    assert_invalid(response, "completed")
    assert (await client.get(caller.task(task["id"]), headers=caller.headers)).json() == task
