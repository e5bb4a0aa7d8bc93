"""/api/v1/lists: a user's named lists of tasks, in their own order, each with its count of open tasks."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import TASKS, assert_invalid, assert_problem, create_task, task_url, utc_time

LISTS = "/api/v1/lists"
LIST_FIELDS = {
    "id",
    "name",
    "color",
    "position",
    "archived",
    "open_tasks",
    "created_at",
    "updated_at",
    "version",
}
UNKNOWN = "01900000-0000-7000-8000-000000000000"
MAX_LISTS = 1000


def list_url(list_id: str) -> str:
    return f"{LISTS}/{list_id}"


async def create_list(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await client.post(LISTS, json={"name": "Groceries", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def read_list(client: httpx.AsyncClient, headers: dict[str, str], list_id: str) -> dict[str, Any]:
    response = await client.get(list_url(list_id), headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def lists_of(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(LISTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items"}
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def names_in_order(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    return [item["name"] for item in await lists_of(client, headers, **params)]


async def move_list(
    client: httpx.AsyncClient, headers: dict[str, str], list_id: str, after: str | None
) -> httpx.Response:
    return await client.post(f"{list_url(list_id)}/move", json={"after": after}, headers=headers)


# --- Creating ---


async def test_a_new_list_is_201_with_its_location_etag_and_every_field(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.post(LISTS, json={"name": "Groceries", "color": "#1a2b3c"}, headers=alice)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    created = response.json()
    assert set(created) == LIST_FIELDS
    assert response.headers["Location"] == list_url(created["id"])
    assert response.headers["ETag"] == '"1"'
    uuid.UUID(created["id"])
    assert created["name"] == "Groceries"
    assert created["color"] == "#1a2b3c"
    assert created["archived"] is False
    assert created["open_tasks"] == 0
    assert created["version"] == 1
    assert isinstance(created["position"], str)
    assert created["position"]
    assert utc_time(created["created_at"]) == utc_time(created["updated_at"])
    followed = await client.get(response.headers["Location"], headers=alice)
    assert followed.status_code == 200
    assert followed.json() == created
    assert followed.headers["ETag"] == '"1"'


async def test_a_list_without_a_color_has_none(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    created = await create_list(client, alice)
    explicit = await create_list(client, alice, name="Explicitly none", color=None)

    assert created["color"] is None
    assert explicit["color"] is None


async def test_a_color_in_upper_case_is_kept_in_lower_case(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await create_list(client, alice, color="#ABCDEF")

    assert created["color"] == "#abcdef"
    assert (await read_list(client, alice, created["id"]))["color"] == "#abcdef"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        pytest.param("  Groceries  ", "Groceries", id="spaces-around"),
        pytest.param("\tWork\n", "Work", id="tab-and-newline"),
        pytest.param("x", "x", id="one-character"),
        pytest.param("  " + "n" * 100 + "  ", "n" * 100, id="a-hundred-after-trimming"),
        pytest.param("Ünïcödé ✓ 买菜", "Ünïcödé ✓ 买菜", id="unicode"),
    ],
)
async def test_a_name_is_trimmed_and_may_have_1_to_100_characters(
    client: httpx.AsyncClient, alice: dict[str, str], sent: str, kept: str
) -> None:
    created = await create_list(client, alice, name=sent)

    assert created["name"] == kept
    assert (await read_list(client, alice, created["id"]))["name"] == kept


BAD_LIST_BODIES = [
    pytest.param({"name": ""}, "name", id="empty-name"),
    pytest.param({"name": "   \t "}, "name", id="blank-name"),
    pytest.param({"name": "n" * 101}, "name", id="101-characters"),
    pytest.param({"name": "a\x00b"}, "name", id="nul-in-name"),
    pytest.param({"name": None}, "name", id="null-name"),
    pytest.param({"name": 5}, "name", id="number-name"),
    pytest.param({"name": ["Groceries"]}, "name", id="array-name"),
    pytest.param({"name": "Ok", "color": "red"}, "color", id="color-word"),
    pytest.param({"name": "Ok", "color": "#abc"}, "color", id="color-short"),
    pytest.param({"name": "Ok", "color": "#abcdef0"}, "color", id="color-long"),
    pytest.param({"name": "Ok", "color": "abcdef"}, "color", id="color-no-hash"),
    pytest.param({"name": "Ok", "color": "#ghijkl"}, "color", id="color-not-hex"),
    pytest.param({"name": "Ok", "color": " #abcdef"}, "color", id="color-space"),
    pytest.param({"name": "Ok", "color": 0xABCDEF}, "color", id="color-number"),
    pytest.param({"name": "Ok", "archived": True}, "archived", id="archived-on-create"),
    pytest.param({"name": "Ok", "position": "a0"}, "position", id="position"),
    pytest.param({"name": "Ok", "open_tasks": 3}, "open_tasks", id="open-tasks"),
    pytest.param({"name": "Ok", "colour": "#abcdef"}, "colour", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "field"), [*BAD_LIST_BODIES, pytest.param({}, "name", id="no-name")])
async def test_an_invalid_list_is_a_422_problem_and_nothing_is_created(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post(LISTS, json=body, headers=alice)

    assert_invalid(response, field)
    assert await lists_of(client, alice) == []


@pytest.mark.parametrize(
    "content",
    [b"[]", b'"Groceries"', b"null", b"{", b'{"name": "a\\u0000b"}'],
    ids=["array", "string", "null", "truncated", "escaped-nul"],
)
async def test_a_body_that_is_no_list_object_is_a_422_problem(
    client: httpx.AsyncClient, alice: dict[str, str], content: bytes
) -> None:
    response = await client.post(
        LISTS, content=content, headers={**alice, "Content-Type": "application/json"}
    )

    assert_invalid(response)
    assert await lists_of(client, alice) == []


async def test_lists_need_a_bearer_token(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    mine = await create_list(client, alice)

    for method, url, body in [
        ("GET", LISTS, None),
        ("POST", LISTS, {"name": "x"}),
        ("GET", list_url(mine["id"]), None),
        ("PATCH", list_url(mine["id"]), {"name": "x"}),
        ("POST", f"{list_url(mine['id'])}/move", {"after": None}),
        ("DELETE", list_url(mine["id"]), None),
    ]:
        response = await client.request(method, url, json=body)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await read_list(client, alice, mine["id"]) == mine


# --- Reading ---


async def test_lists_come_in_the_order_they_were_made(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = [await create_list(client, alice, name=name) for name in ("Work", "Home", "Errands", "Books")]

    listed = await lists_of(client, alice)

    assert listed == made
    positions = [item["position"] for item in listed]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)


async def test_a_user_with_no_lists_gets_an_empty_list(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await client.get(LISTS, headers=alice)

    assert response.status_code == 200
    assert response.json() == {"items": []}


async def test_archived_lists_are_shown_only_when_asked_for(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work, home, errands = [
        await create_list(client, alice, name=name) for name in ("Work", "Home", "Errands")
    ]
    archived = await client.patch(list_url(home["id"]), json={"archived": True}, headers=alice)
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived"] is True

    assert await names_in_order(client, alice) == ["Work", "Errands"]
    assert await names_in_order(client, alice, archived="false") == ["Work", "Errands"]
    assert await lists_of(client, alice, archived="true") == [archived.json()]
    assert (await read_list(client, alice, home["id"]))["archived"] is True

    restored = await client.patch(list_url(home["id"]), json={"archived": False}, headers=alice)

    assert restored.json()["archived"] is False
    assert await names_in_order(client, alice) == ["Work", "Home", "Errands"]
    assert await lists_of(client, alice, archived="true") == []
    assert {work["id"], errands["id"]} <= {item["id"] for item in await lists_of(client, alice)}


@pytest.mark.parametrize("value", ["maybe", "", "2"])
async def test_an_archived_filter_that_is_no_boolean_is_a_422_problem(
    client: httpx.AsyncClient, alice: dict[str, str], value: str
) -> None:
    assert_invalid(await client.get(LISTS, params={"archived": value}, headers=alice), "archived")


async def test_open_tasks_counts_only_the_lists_tasks_not_completed(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    groceries = await create_list(client, alice, name="Groceries")
    work = await create_list(client, alice, name="Work")
    milk = await create_task(client, alice, title="Milk", list_id=groceries["id"])
    await create_task(client, alice, title="Bread", list_id=groceries["id"])
    await create_task(client, alice, title="Eggs", list_id=groceries["id"], completed=True)
    await create_task(client, alice, title="Semi-skimmed", parent_id=milk["id"])
    await create_task(client, alice, title="In the Inbox")
    await create_task(client, alice, title="Report", list_id=work["id"], completed=True)

    assert (await read_list(client, alice, groceries["id"]))["open_tasks"] == 3
    assert {item["name"]: item["open_tasks"] for item in await lists_of(client, alice)} == {
        "Groceries": 3,
        "Work": 0,
    }

    await client.post(f"{task_url(milk['id'])}/toggle", headers=alice)  # its subtask with it

    assert (await read_list(client, alice, groceries["id"]))["open_tasks"] == 1
    renamed = await client.patch(list_url(groceries["id"]), json={"name": "Food"}, headers=alice)
    assert renamed.json()["open_tasks"] == 1
    moved = await move_list(client, alice, groceries["id"], None)
    assert moved.json()["open_tasks"] == 1


async def test_an_archived_list_still_counts_its_open_tasks(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    shelf = await create_list(client, alice, name="Shelf")
    await create_task(client, alice, list_id=shelf["id"])
    await client.patch(list_url(shelf["id"]), json={"archived": True}, headers=alice)

    assert [item["open_tasks"] for item in await lists_of(client, alice, archived="true")] == [1]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE", "MOVE"])
async def test_an_unknown_list_is_a_404_problem(
    client: httpx.AsyncClient, alice: dict[str, str], method: str
) -> None:
    if method == "MOVE":
        response = await move_list(client, alice, UNKNOWN, None)
    else:
        body = {"name": "x"} if method == "PATCH" else None
        response = await client.request(method, list_url(UNKNOWN), json=body, headers=alice)

    assert assert_problem(response, 404)["detail"] == "No such list."


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE", "MOVE"])
async def test_a_malformed_list_id_is_a_422_problem(
    client: httpx.AsyncClient, alice: dict[str, str], method: str
) -> None:
    if method == "MOVE":
        response = await client.post(f"{LISTS}/not-a-uuid/move", json={"after": None}, headers=alice)
    else:
        body = {"name": "x"} if method == "PATCH" else None
        response = await client.request(method, f"{LISTS}/not-a-uuid", json=body, headers=alice)

    assert_invalid(response, "list_id")


# --- Changing ---


async def test_patch_changes_only_the_fields_sent_and_makes_a_new_version(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = await create_list(client, alice, name="Groceries", color="#00ff00")

    response = await client.patch(list_url(made["id"]), json={"name": "  Food  "}, headers=alice)

    assert response.status_code == 200, response.text
    changed = response.json()
    assert response.headers["ETag"] == '"2"'
    assert changed["name"] == "Food"
    assert changed["color"] == "#00ff00"
    assert changed["version"] == 2
    assert changed["position"] == made["position"]
    assert changed["created_at"] == made["created_at"]
    assert utc_time(changed["updated_at"]) >= utc_time(made["updated_at"])
    assert await read_list(client, alice, made["id"]) == changed

    cleared = await client.patch(list_url(made["id"]), json={"color": None}, headers=alice)

    assert cleared.json()["color"] is None
    assert cleared.json()["name"] == "Food"
    assert cleared.json()["version"] == 3


async def test_a_patch_that_changes_nothing_keeps_the_version(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = await create_list(client, alice, name="Groceries", color="#00ff00")

    same = await client.patch(
        list_url(made["id"]), json={"name": " Groceries ", "color": "#00FF00"}, headers=alice
    )
    empty = await client.patch(list_url(made["id"]), json={}, headers=alice)

    assert same.status_code == 200, same.text
    assert same.json() == made
    assert same.headers["ETag"] == '"1"'
    assert empty.json() == made


PATCH_BAD_BODIES = [
    *(param for param in BAD_LIST_BODIES if param.id not in {"archived-on-create"}),
    pytest.param({"archived": "yes"}, "archived", id="archived-text"),
    pytest.param({"archived": 1}, "archived", id="archived-number"),
    pytest.param({"archived": None}, "archived", id="archived-null"),
]


@pytest.mark.parametrize(("body", "field"), PATCH_BAD_BODIES)
async def test_an_invalid_patch_is_a_422_problem_and_the_list_is_unchanged(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    made = await create_list(client, alice, name="Groceries", color="#123456")

    response = await client.patch(list_url(made["id"]), json=body, headers=alice)

    assert_invalid(response, field)
    assert await read_list(client, alice, made["id"]) == made


async def _changed_once(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """A list at version 2, so that `"1"` is stale."""
    made = await create_list(client, headers, name="Original")
    await create_list(client, headers, name="Another")
    response = await client.patch(list_url(made["id"]), json={"color": "#abcdef"}, headers=headers)
    changed: dict[str, Any] = response.json()
    assert changed["version"] == 2
    return changed


LIST_WRITES = [
    pytest.param("PATCH", "", {"name": "Changed"}, 200, id="patch"),
    pytest.param("POST", "/move", {"after": None}, 200, id="move"),
    pytest.param("DELETE", "", None, 204, id="delete"),
]


@pytest.mark.parametrize(("method", "suffix", "body", "success"), LIST_WRITES)
async def test_a_stale_etag_is_a_412_problem_and_the_list_is_unchanged(
    client: httpx.AsyncClient, alice: dict[str, str], method: str, suffix: str, body: Any, success: int
) -> None:
    made = await _changed_once(client, alice)
    before = await lists_of(client, alice)

    response = await client.request(
        method, list_url(made["id"]) + suffix, json=body, headers={**alice, "If-Match": '"1"'}
    )

    assert "list" in assert_problem(response, 412)["detail"]
    assert await read_list(client, alice, made["id"]) == made
    assert await lists_of(client, alice) == before


@pytest.mark.parametrize("if_match", ['"2"', "*", '"1", "2"'])
@pytest.mark.parametrize(("method", "suffix", "body", "success"), LIST_WRITES)
async def test_the_current_etag_or_a_star_lets_a_list_write_through(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    method: str,
    suffix: str,
    body: Any,
    success: int,
    if_match: str,
) -> None:
    made = await _changed_once(client, alice)

    response = await client.request(
        method, list_url(made["id"]) + suffix, json=body, headers={**alice, "If-Match": if_match}
    )

    assert response.status_code == success, response.text
    after = await client.get(list_url(made["id"]), headers=alice)
    if method == "DELETE":
        assert after.status_code == 404
    else:
        assert after.json()["version"] == 3
        assert response.headers["ETag"] == '"3"'


@pytest.mark.parametrize(("if_match", "status"), [('W/"2"', 412), ('"02"', 412), ("2", 400), ("'2'", 400)])
@pytest.mark.parametrize(("method", "suffix", "body", "success"), LIST_WRITES)
async def test_an_if_match_naming_no_version_or_malformed_leaves_the_list_unchanged(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    method: str,
    suffix: str,
    body: Any,
    success: int,
    if_match: str,
    status: int,
) -> None:
    made = await _changed_once(client, alice)

    response = await client.request(
        method, list_url(made["id"]) + suffix, json=body, headers={**alice, "If-Match": if_match}
    )

    assert_problem(response, status)
    assert await read_list(client, alice, made["id"]) == made


# --- Moving ---


async def test_a_list_moves_after_another_or_first(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    a, b, c, d = [await create_list(client, alice, name=name) for name in "ABCD"]

    first = await move_list(client, alice, c["id"], None)

    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"2"'
    assert first.json()["version"] == 2
    assert first.json()["name"] == "C"
    assert await names_in_order(client, alice) == ["C", "A", "B", "D"]

    after_b = await move_list(client, alice, a["id"], b["id"])

    assert after_b.status_code == 200, after_b.text
    assert await names_in_order(client, alice) == ["C", "B", "A", "D"]

    to_the_end = await move_list(client, alice, c["id"], d["id"])

    assert to_the_end.status_code == 200, to_the_end.text
    assert await names_in_order(client, alice) == ["B", "A", "D", "C"]
    assert await read_list(client, alice, c["id"]) == to_the_end.json()


async def test_moving_a_list_where_it_is_keeps_the_order(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    a, b, _ = [await create_list(client, alice, name=name) for name in "ABC"]

    stays_first = await move_list(client, alice, a["id"], None)
    stays_second = await move_list(client, alice, b["id"], a["id"])

    assert stays_first.status_code == stays_second.status_code == 200
    assert await names_in_order(client, alice) == ["A", "B", "C"]


async def test_a_list_moved_after_an_unknown_list_is_a_404_and_nothing_moves(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    a, _ = [await create_list(client, alice, name=name) for name in "AB"]
    before = await lists_of(client, alice)

    response = await move_list(client, alice, a["id"], UNKNOWN)

    assert assert_problem(response, 404)["detail"] == "No such list."
    assert await lists_of(client, alice) == before


async def test_a_list_moved_after_another_users_list_is_a_404_and_nothing_moves(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    a, _ = [await create_list(client, alice, name=name) for name in "AB"]
    bobs = await create_list(client, bob, name="Bob's")
    before = await lists_of(client, alice)

    response = await move_list(client, alice, a["id"], bobs["id"])
    unknown = await move_list(client, alice, a["id"], UNKNOWN)

    assert assert_problem(response, 404) == assert_problem(unknown, 404)
    assert await lists_of(client, alice) == before
    assert await lists_of(client, bob) == [bobs]


async def test_a_list_moved_after_itself_is_refused_and_nothing_moves(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    a, _ = [await create_list(client, alice, name=name) for name in "AB"]
    before = await lists_of(client, alice)

    response = await move_list(client, alice, a["id"], a["id"])

    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert await lists_of(client, alice) == before


async def test_a_list_moved_after_an_archived_list_goes_right_after_it(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    a, b, c = [await create_list(client, alice, name=name) for name in "ABC"]
    await client.patch(list_url(a["id"]), json={"archived": True}, headers=alice)

    response = await move_list(client, alice, c["id"], a["id"])

    assert response.status_code == 200, response.text
    assert await names_in_order(client, alice) == ["C", "B"]
    await client.patch(list_url(a["id"]), json={"archived": False}, headers=alice)
    assert await names_in_order(client, alice) == ["A", "C", "B"]
    assert b["id"] in {item["id"] for item in await lists_of(client, alice)}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "after", id="no-after"),
        pytest.param({"after": "not-a-uuid"}, "after", id="malformed-after"),
        pytest.param({"after": 3}, "after", id="number-after"),
        pytest.param({"after": None, "position": "a0"}, "position", id="unknown-field"),
    ],
)
async def test_an_invalid_list_move_is_a_422_problem_and_nothing_moves(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    _, b = [await create_list(client, alice, name=name) for name in "AB"]
    before = await lists_of(client, alice)

    response = await client.post(f"{list_url(b['id'])}/move", json=body, headers=alice)

    assert_invalid(response, field)
    assert await lists_of(client, alice) == before


async def test_many_moves_keep_the_lists_in_the_order_asked_with_short_distinct_positions(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = [await create_list(client, alice, name=f"L{n}") for n in range(5)]
    order = [item["id"] for item in made]
    names = {item["id"]: item["name"] for item in made}
    rng = random.Random(13)

    # First "the last one, just after the first" again and again: the gap after the first keeps
    # halving, so keys grow until the group is given fresh positions; then random moves.
    longest, rebalanced = 0, False
    for step in range(320):
        if step >= 280:
            moved = rng.choice(order)
            rest = [list_id for list_id in order if list_id != moved]
            after = rng.choice([None, *rest])
        else:
            moved, after = order[-1], order[0]
            rest = order[:-1]
        response = await move_list(client, alice, moved, after)
        assert response.status_code == 200, response.text
        position = response.json()["position"]
        assert len(position) <= 48
        rebalanced = rebalanced or (longest > 40 and len(position) < 10)
        longest = max(longest, len(position))
        index = 0 if after is None else rest.index(after) + 1
        order = [*rest[:index], moved, *rest[index:]]

    assert rebalanced  # the keys grew long, and the lists were given fresh, short ones
    listed = await lists_of(client, alice)
    assert [item["name"] for item in listed] == [names[list_id] for list_id in order]
    positions = [item["position"] for item in listed]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert max(len(position) for position in positions) <= 48


# --- Deleting ---


async def test_deleting_a_list_deletes_it_and_every_task_in_it(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    doomed = await create_list(client, alice, name="Doomed")
    kept_list = await create_list(client, alice, name="Kept")
    in_doomed = await create_task(client, alice, title="In doomed", list_id=doomed["id"])
    subtask = await create_task(client, alice, title="Under it", parent_id=in_doomed["id"])
    done = await create_task(client, alice, title="Done in doomed", list_id=doomed["id"], completed=True)
    in_kept = await create_task(client, alice, title="In kept", list_id=kept_list["id"])
    in_inbox = await create_task(client, alice, title="In the Inbox")

    response = await client.delete(list_url(doomed["id"]), headers=alice)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert (
        assert_problem(await client.get(list_url(doomed["id"]), headers=alice), 404)["detail"]
        == "No such list."
    )
    for gone in (in_doomed, subtask, done):
        assert_problem(await client.get(task_url(gone["id"]), headers=alice), 404)
    for kept in (in_kept, in_inbox):
        assert (await client.get(task_url(kept["id"]), headers=alice)).json() == kept
    assert await lists_of(client, alice) == [await read_list(client, alice, kept_list["id"])]
    remaining = (await client.get(TASKS, params={"limit": 100}, headers=alice)).json()["items"]
    assert {task["id"] for task in remaining} == {in_kept["id"], in_inbox["id"]}
    assert (await client.get(f"{TASKS}/stats", headers=alice)).json()["total"] == 2


async def test_deleting_a_list_twice_is_a_404_the_second_time(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    doomed = await create_list(client, alice)
    assert (await client.delete(list_url(doomed["id"]), headers=alice)).status_code == 204

    again = await client.delete(list_url(doomed["id"]), headers=alice)

    assert assert_problem(again, 404)["detail"] == "No such list."


async def test_an_archived_list_can_be_deleted(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    shelf = await create_list(client, alice)
    task = await create_task(client, alice, list_id=shelf["id"])
    await client.patch(list_url(shelf["id"]), json={"archived": True}, headers=alice)

    response = await client.delete(list_url(shelf["id"]), headers=alice)

    assert response.status_code == 204
    assert await lists_of(client, alice, archived="true") == []
    assert_problem(await client.get(task_url(task["id"]), headers=alice), 404)


# --- At most 1,000 lists ---


async def _fill(client: httpx.AsyncClient, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    """`count` new lists, made a batch of concurrent requests at a time (one by one takes long)."""
    made: list[dict[str, Any]] = []
    while len(made) < count:
        batch = range(len(made), min(count, len(made) + 50))
        answers = await asyncio.gather(
            *(client.post(LISTS, json={"name": f"List {n}"}, headers=headers) for n in batch)
        )
        assert [answer.status_code for answer in answers] == [201] * len(batch), answers[0].text
        made.extend(answer.json() for answer in answers)
    return made


async def _count_lists(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return len(await lists_of(client, headers)) + len(await lists_of(client, headers, archived="true"))


async def test_a_user_has_at_most_a_thousand_lists(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    made = await _fill(client, alice, MAX_LISTS)
    await client.patch(list_url(made[0]["id"]), json={"archived": True}, headers=alice)  # still counts

    refused = await client.post(LISTS, json={"name": "One too many"}, headers=alice)

    body = assert_problem(refused, 409)
    assert "1000" in body["detail"]
    assert "Location" not in refused.headers
    assert await _count_lists(client, alice) == MAX_LISTS
    assert "One too many" not in await names_in_order(client, alice)
    assert (await client.post(LISTS, json={"name": "Bob's first"}, headers=bob)).status_code == 201

    assert (await client.delete(list_url(made[1]["id"]), headers=alice)).status_code == 204
    again = await client.post(LISTS, json={"name": "Now there is room"}, headers=alice)

    assert again.status_code == 201, again.text
    assert (await names_in_order(client, alice))[-1] == "Now there is room"
    assert_problem(await client.post(LISTS, json={"name": "Full again"}, headers=alice), 409)


async def test_concurrent_creations_near_the_cap_never_pass_it(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await _fill(client, alice, MAX_LISTS - 3)

    answers = await asyncio.gather(
        *(client.post(LISTS, json={"name": f"Racing {n}"}, headers=alice) for n in range(12))
    )

    statuses = sorted(answer.status_code for answer in answers)
    for answer in answers:
        if answer.status_code != 201:
            assert_problem(answer, 409)
    assert await _count_lists(client, alice) == MAX_LISTS
    assert statuses == [201] * 3 + [409] * 9
