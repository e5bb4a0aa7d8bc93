"""The task list's search, filters, sorts and cursors over HTTP, as API.md states them."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
import pytest

from entrypoints.http.schemas import TaskListQuery
from tests.api.helpers import TASKS, assert_invalid, assert_problem, create_task
from tests.conftest import BACKENDS

Params = dict[str, Any] | list[tuple[str, Any]]

# Titles and descriptions that a search taking its text as a LIKE pattern, or comparing case
# without folding, gets wrong. Each title is unique, so a search answer reads as a set of titles.
SEARCH_CORPUS: list[dict[str, Any]] = [
    {"title": "100% done"},
    {"title": "100 percent done"},
    {"title": "a_b"},
    {"title": "aXb"},
    {"title": "back\\slash"},
    {"title": "backslash"},
    {"title": "it's mine"},
    {"title": "its mine"},
    {"title": 'say "hi"'},
    {"title": "say hi"},
    {"title": "Straße"},
    {"title": "STRASSE"},
    {"title": "Strase"},
    {"title": "café"},
    {"title": "cafe"},
    {"title": "CAFÉ au lait"},
    {"title": "École"},
    {"title": "ecole"},
    {"title": "shopping", "description": "50% off; bring the 'big' bag"},
]


async def _titles(client: httpx.AsyncClient, headers: dict[str, str], params: Params) -> list[str]:
    response = await client.get(TASKS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["items"]]


async def _walk(
    client: httpx.AsyncClient, headers: dict[str, str], params: Params, *, max_pages: int = 50
) -> list[dict[str, Any]]:
    """Every page of the list from the first, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(max_pages):
        query = list(params.items()) if isinstance(params, dict) else list(params)
        response = await client.get(
            TASKS, params=query + ([("cursor", cursor)] if cursor else []), headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    pytest.fail(f"paging did not end within {max_pages} pages")


def _ids(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["id"] for task in tasks]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("%", {"100% done", "shopping"}, id="percent"),
        pytest.param("0% d", {"100% done"}, id="percent-inside-text"),
        pytest.param("_", {"a_b"}, id="underscore"),
        pytest.param("a_b", {"a_b"}, id="underscore-between-letters"),
        pytest.param("a%b", set(), id="percent-that-a-pattern-would-match"),
        pytest.param("\\", {"back\\slash"}, id="backslash"),
        pytest.param("k\\s", {"back\\slash"}, id="backslash-inside-text"),
        pytest.param("\\%", set(), id="backslash-then-percent"),
        pytest.param("it's", {"it's mine"}, id="single-quote"),
        pytest.param("'", {"it's mine", "shopping"}, id="single-quote-in-a-description"),
        pytest.param('"hi"', {'say "hi"'}, id="double-quotes"),
        pytest.param("café", {"café", "CAFÉ au lait"}, id="accented"),
        pytest.param("CAFÉ", {"café", "CAFÉ au lait"}, id="accented-upper-case"),
        pytest.param("STRASSE", {"Straße", "STRASSE"}, id="upper-case-finds-sharp-s"),
        pytest.param("straße", {"Straße", "STRASSE"}, id="sharp-s-finds-upper-case"),
        pytest.param("ÉCOLE", {"École"}, id="accent-is-not-ignored"),
        pytest.param("' OR '1'='1", set(), id="sql-injection-attempt"),
    ],
)
async def test_search_finds_exactly_the_tasks_containing_the_text_literally_without_regard_to_case(
    client: httpx.AsyncClient, alice: dict[str, str], q: str, expected: set[str]
) -> None:
    for fields in SEARCH_CORPUS:
        await create_task(client, alice, **fields)

    found = await _titles(client, alice, {"q": q, "limit": 100})

    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize("q", ["milk\nbring", "\n", "a\tb"])
async def test_a_search_with_control_characters_is_refused_so_it_cannot_span_title_and_description(
    client: httpx.AsyncClient, alice: dict[str, str], q: str
) -> None:
    await create_task(client, alice, title="buy milk", description="bring bags")

    response = await client.get("/api/v1/tasks", params={"q": q}, headers=alice)

    assert_problem(response, 422)


async def test_every_tag_asked_for_must_be_carried(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    await create_task(client, alice, title="home only", tags=["home"])
    await create_task(client, alice, title="home and work", tags=["home", "work"])
    await create_task(client, alice, title="work only", tags=["work"])
    await create_task(client, alice, title="all three", tags=["urgent", "work", "home"])
    await create_task(client, alice, title="none")

    both = await _titles(client, alice, [("tag", "home"), ("tag", "work")])
    one = await _titles(client, alice, [("tag", "work")])
    absent = await _titles(client, alice, [("tag", "home"), ("tag", "garden")])

    assert sorted(both) == ["all three", "home and work"]
    assert sorted(one) == ["all three", "home and work", "work only"]
    assert absent == []


async def test_the_priority_filter_keeps_only_that_priority(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for priority in ("low", "medium", "high", "high"):
        await create_task(client, alice, title=f"{priority} task", priority=priority)

    high = await _titles(client, alice, {"priority": "high"})
    low = await _titles(client, alice, {"priority": "low"})

    assert high == ["high task", "high task"]
    assert low == ["low task"]


async def test_due_before_and_due_after_bound_the_due_date_and_leave_undated_tasks_out(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create_task(client, alice, title="january", due_at="2030-01-01T09:00:00Z")
    await create_task(client, alice, title="june", due_at="2030-06-01T09:00:00Z")
    await create_task(client, alice, title="next year", due_at="2031-01-01T09:00:00Z")
    await create_task(client, alice, title="undated")

    before = await _titles(client, alice, {"due_before": "2030-03-01T00:00:00Z"})
    after = await _titles(client, alice, {"due_after": "2030-03-01T00:00:00Z"})
    between = await _titles(
        client, alice, {"due_after": "2030-03-01T00:00:00Z", "due_before": "2030-12-01T00:00:00Z"}
    )

    assert before == ["january"]
    assert sorted(after) == ["june", "next year"]
    assert between == ["june"]


@pytest.mark.parametrize(
    "app",
    [
        pytest.param(
            *BACKENDS[0].values,
            id=BACKENDS[0].id,
        ),
        *BACKENDS[1:],
    ],
    indirect=True,
)
async def test_due_bounds_with_an_offset_mean_the_instant_they_name(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create_task(client, alice, title="nine utc", due_at="2030-06-01T09:00:00Z")

    before = await _titles(client, alice, {"due_before": "2030-06-01T04:30:00-05:00"})  # 09:30 UTC
    after = await _titles(client, alice, {"due_after": "2030-06-01T10:30:00+02:00"})  # 08:30 UTC
    not_after = await _titles(client, alice, {"due_after": "2030-06-01T05:00:00-05:00"})  # 10:00 UTC

    assert before == ["nine utc"]
    assert after == ["nine utc"]
    assert not_after == []


async def test_overdue_means_due_in_the_past_and_not_completed(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create_task(client, alice, title="late", due_at="2020-01-01T00:00:00Z")
    await create_task(client, alice, title="late but done", due_at="2020-01-01T00:00:00Z", completed=True)
    await create_task(client, alice, title="due later", due_at="2100-01-01T00:00:00Z")
    await create_task(client, alice, title="undated")
    await create_task(client, alice, title="undated and done", completed=True)

    overdue = await _titles(client, alice, {"overdue": "true"})
    not_overdue = await _titles(client, alice, {"overdue": "false"})

    assert overdue == ["late"]
    assert sorted(not_overdue) == ["due later", "late but done", "undated", "undated and done"]


SORT_CORPUS: list[dict[str, Any]] = [
    {"title": "banana", "priority": "low", "due_at": "2030-01-02T00:00:00Z"},
    {"title": "Apple", "priority": "high"},
    {"title": "apple", "priority": "medium", "due_at": "2030-01-01T00:00:00Z"},
    {"title": "Straße", "priority": "high", "due_at": "2030-01-02T00:00:00Z"},
    {"title": "strasse", "priority": "low"},
    {"title": "Zebra", "priority": "medium", "due_at": "2029-12-31T00:00:00Z"},
    {"title": "école", "priority": "medium"},
]
_RANK = {"low": 0, "medium": 1, "high": 2}


def _sort_key(field: str, task: dict[str, Any]) -> Any:
    value = task[field]
    if value is None:
        return None
    if field in ("created_at", "due_at"):
        return datetime.fromisoformat(value)
    if field == "priority":
        return _RANK[value]
    return value.casefold()


def _expected_order(tasks: list[dict[str, Any]], sort: str) -> list[str]:
    """The contract's order: by the field, ties by id, both in the sort's direction; no value last."""
    field, descending = sort.removeprefix("-"), sort.startswith("-")
    present = [task for task in tasks if _sort_key(field, task) is not None]
    missing = [task for task in tasks if _sort_key(field, task) is None]
    present.sort(key=lambda task: (_sort_key(field, task), uuid.UUID(task["id"])), reverse=descending)
    missing.sort(key=lambda task: uuid.UUID(task["id"]), reverse=descending)
    return _ids(present + missing)


@pytest.mark.parametrize(
    "sort",
    ["created_at", "-created_at", "due_at", "-due_at", "priority", "-priority", "title", "-title"],
)
async def test_every_sort_orders_by_its_field_then_id_with_undated_tasks_last_whole_or_in_pages(
    client: httpx.AsyncClient, alice: dict[str, str], sort: str
) -> None:
    created = [await create_task(client, alice, **fields) for fields in SORT_CORPUS]
    expected = _expected_order(created, sort)

    whole = await _walk(client, alice, {"sort": sort, "limit": 100})
    paged = await _walk(client, alice, {"sort": sort, "limit": 2})

    assert _ids(whole) == expected
    assert _ids(paged) == expected


@pytest.mark.parametrize("sort", ["due_at", "-due_at"])
async def test_tasks_without_a_due_date_come_last_in_either_direction(
    client: httpx.AsyncClient, alice: dict[str, str], sort: str
) -> None:
    for fields in SORT_CORPUS:
        await create_task(client, alice, **fields)

    listed = await _walk(client, alice, {"sort": sort, "limit": 3})

    dates = [task["due_at"] for task in listed]
    assert dates[-3:] == [None, None, None]
    assert None not in dates[:-3]


@pytest.mark.parametrize("sort", ["bogus", "-", "--created_at", "created_at,title", "Title", "id"])
async def test_an_unknown_sort_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], sort: str
) -> None:
    response = await client.get(TASKS, params={"sort": sort}, headers=alice)

    assert_invalid(response, "sort")


async def _cursor_after_first(client: httpx.AsyncClient, headers: dict[str, str], params: Params) -> str:
    query = list(params.items()) if isinstance(params, dict) else list(params)
    response = await client.get(TASKS, params=[*query, ("limit", 1)], headers=headers)
    assert response.status_code == 200, response.text
    cursor: str | None = response.json()["next_cursor"]
    assert cursor
    return cursor


_MADE_FOR: list[tuple[str, Any]] = [("tag", "a"), ("tag", "b"), ("q", "milk"), ("sort", "title")]


@pytest.mark.parametrize(
    "other",
    [
        pytest.param([("tag", "a"), ("q", "milk"), ("sort", "title")], id="one-tag-fewer"),
        pytest.param(
            [("tag", "a"), ("tag", "b"), ("tag", "c"), ("q", "milk"), ("sort", "title")], id="a-tag-more"
        ),
        pytest.param([("tag", "a"), ("tag", "b"), ("q", "bread"), ("sort", "title")], id="other-text"),
        pytest.param([("tag", "a"), ("tag", "b"), ("sort", "title")], id="no-text"),
        pytest.param([("tag", "a"), ("tag", "b"), ("q", "milk"), ("sort", "-title")], id="other-direction"),
        pytest.param([("tag", "a"), ("tag", "b"), ("q", "milk"), ("sort", "created_at")], id="other-sort"),
        pytest.param([*_MADE_FOR, ("priority", "high")], id="priority-added"),
        pytest.param([*_MADE_FOR, ("completed", "false")], id="completed-added"),
        pytest.param([*_MADE_FOR, ("overdue", "false")], id="overdue-added"),
        pytest.param([*_MADE_FOR, ("due_before", "2100-01-01T00:00:00Z")], id="due-before-added"),
    ],
)
async def test_a_cursor_reused_with_another_filter_set_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], other: list[tuple[str, Any]]
) -> None:
    for n in range(3):
        await create_task(client, alice, title=f"milk {n}", tags=["a", "b", "c"], priority="high")
    cursor = await _cursor_after_first(client, alice, _MADE_FOR)

    response = await client.get(TASKS, params=[*other, ("limit", 1), ("cursor", cursor)], headers=alice)

    assert_invalid(response, "cursor")


@pytest.mark.parametrize(
    "same",
    [
        pytest.param(
            [("tag", "b"), ("tag", "a"), ("q", "milk"), ("sort", "title")], id="tags-in-other-order"
        ),
        pytest.param(
            [("q", "milk"), ("sort", "title"), ("tag", "a"), ("tag", "b")], id="params-in-other-order"
        ),
        pytest.param([("tag", "B"), ("tag", "a"), ("q", "MILK"), ("sort", "title")], id="other-case"),
        pytest.param(
            [("tag", "a"), ("tag", "b"), ("tag", "a"), ("q", "milk"), ("sort", "title")], id="tag-twice"
        ),
    ],
)
async def test_a_cursor_is_accepted_for_the_same_filter_set_however_it_is_spelt(
    client: httpx.AsyncClient, alice: dict[str, str], same: list[tuple[str, Any]]
) -> None:
    created = [await create_task(client, alice, title=f"milk {n}", tags=["a", "b"]) for n in range(3)]
    await create_task(client, alice, title="milk without tags")
    cursor = await _cursor_after_first(client, alice, _MADE_FOR)

    response = await client.get(TASKS, params=[*same, ("cursor", cursor)], headers=alice)

    assert response.status_code == 200, response.text
    assert _ids(response.json()["items"]) == _ids(created[1:])


@pytest.mark.parametrize(
    ("sort", "new_titles"),
    [
        pytest.param("-created_at", ["new"], id="newest-first"),
        pytest.param("title", ["0 first of all", "m in the middle", "zzz last of all"], id="by-title"),
        pytest.param(
            "-title", ["0 first of all", "m in the middle", "zzz last of all"], id="by-title-descending"
        ),
    ],
)
async def test_walking_pages_while_tasks_are_added_sees_every_task_present_at_the_start_exactly_once(
    client: httpx.AsyncClient, alice: dict[str, str], sort: str, new_titles: list[str]
) -> None:
    initial = [await create_task(client, alice, title=f"{letter} task") for letter in "bdfhjlnprtv"]
    expected = _expected_order(initial, sort)
    seen: list[str] = []
    cursor: str | None = None

    for _ in range(20):
        params = {"sort": sort, "limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get(TASKS, params=params, headers=alice)
        assert response.status_code == 200, response.text
        seen += _ids(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
        for title in new_titles:
            await create_task(client, alice, title=title)

    counts = Counter(seen)
    assert cursor is None
    assert all(count == 1 for count in counts.values()), counts
    assert [task_id for task_id in seen if task_id in set(expected)] == expected


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("limit", "0"),
        ("limit", "many"),
        ("sort", "-owner"),
        ("priority", "urgent"),
        ("completed", "perhaps"),
        ("due_before", "tomorrow"),
        ("cursor", "x" * 513),
    ],
)
async def test_an_invalid_list_parameter_is_a_422_located_in_the_query_under_its_name(
    client: httpx.AsyncClient, alice: dict[str, str], parameter: str, value: str
) -> None:
    response = await client.get(TASKS, params={parameter: value}, headers=alice)

    body = assert_invalid(response, parameter)
    assert [error["loc"] for error in body["errors"]] == [["query", parameter]]


async def test_the_list_documents_each_of_its_query_parameters(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    parameters = {p["name"]: p for p in schema["paths"][TASKS]["get"]["parameters"]}

    assert set(parameters) == set(TaskListQuery.model_fields)
    assert {p["in"] for p in parameters.values()} == {"query"}
    assert parameters["tag"]["schema"]["type"] == "array"
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "maximum": 100,
        "minimum": 1,
        "default": 20,
        "title": "Limit",
    }
    referred = re.findall(r"#/components/schemas/(\w+)", json.dumps(parameters))
    assert "Priority" in referred
    assert set(referred) <= set(schema["components"]["schemas"])


@pytest.mark.parametrize("parameter", ["due_before", "due_after"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_a_time_filter_with_no_utc_reading_is_a_422_not_a_500(
    client: httpx.AsyncClient, alice: dict[str, str], parameter: str, value: str
) -> None:
    response = await client.get(TASKS, params={parameter: value}, headers=alice)

    body = assert_invalid(response, parameter)
    assert [error["loc"] for error in body["errors"]] == [["query", parameter]]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_a_due_time_with_no_utc_reading_is_a_422(
    client: httpx.AsyncClient, alice: dict[str, str], value: str
) -> None:
    response = await client.post(TASKS, json={"title": "t", "due_at": value}, headers=alice)

    assert_invalid(response, "due_at")
