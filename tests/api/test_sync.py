"""GET /api/v1/sync: the whole state without a token, then what changed since, with tombstones;
tokens signed, bound to their owner, refused (410) once older than the change log keeps."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from application.sync import SyncTokens
from tests.api.helpers import TASK_FIELDS, assert_invalid, assert_problem, create_task, task_url
from tests.support.app import auth

SYNC = "/api/v1/sync"
LISTS = "/api/v1/lists"


class _At:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def token_at(app: FastAPI, owner: str, position: int, issued: datetime | None = None) -> str:
    """A token the app would take, for a position of the owner's log, issued at `issued` (now)."""
    codec = app.state.container.adapters.cursors()
    return SyncTokens(codec, _At(issued or datetime.now(UTC))).issue(owner, position)


async def sync(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(SYNC, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert set(body) == {"changes", "next", "has_more"}
    return body


async def sync_all(client: httpx.AsyncClient, headers: dict[str, str], since: str | None, limit: int = 100):
    """Every page from `since` on: the changes in order, and the last `next`."""
    changes: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if since is not None:
            params["since"] = since
        page = await sync(client, headers, **params)
        changes.extend(page["changes"])
        since = page["next"]
        if not page["has_more"]:
            return changes, since


async def test_without_a_token_the_whole_state_comes_as_upserts_lists_first_then_tasks_as_created(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = await client.post(LISTS, json={"name": "Errands"}, headers=alice)
    errands = made.json()
    first = await create_task(client, alice, title="first")
    second = await create_task(client, alice, title="second", list_id=errands["id"])

    changes, _ = await sync_all(client, alice, None)

    assert [(c["kind"], c["op"], c["id"]) for c in changes] == [
        ("list", "upsert", errands["id"]),
        ("task", "upsert", first["id"]),
        ("task", "upsert", second["id"]),
    ]
    assert set(changes[1]["item"]) == TASK_FIELDS
    assert changes[1]["item"]["title"] == "first"
    assert changes[0]["item"]["name"] == "Errands"
    assert changes[0]["item"]["open_tasks"] == 1


async def test_the_whole_state_pages_by_limit_and_its_last_token_sees_only_what_came_after(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    lists = [(await client.post(LISTS, json={"name": f"L{n}"}, headers=alice)).json() for n in range(3)]
    tasks = [await create_task(client, alice, title=f"T{n}") for n in range(5)]

    changes, token = await sync_all(client, alice, None, limit=2)
    after = await create_task(client, alice, title="after")
    later, _ = await sync_all(client, alice, token)

    assert sorted(c["id"] for c in changes if c["kind"] == "list") == sorted(x["id"] for x in lists)
    assert [c["id"] for c in changes if c["kind"] == "task"] == [t["id"] for t in tasks]
    assert [(c["op"], c["id"]) for c in later] == [("upsert", after["id"])]


async def test_changes_since_a_token_come_in_commit_order_each_item_once_deletions_as_tombstones(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    kept = await create_task(client, alice, title="kept")
    gone = await create_task(client, alice, title="gone")
    _, token = await sync_all(client, alice, None)

    await client.patch(task_url(kept["id"]), json={"title": "renamed"}, headers=alice)
    fresh = await create_task(client, alice, title="fresh")
    await client.delete(task_url(gone["id"]), headers=alice)
    await client.patch(task_url(kept["id"]), json={"completed": True}, headers=alice)
    changes, token = await sync_all(client, alice, token)

    assert [(c["op"], c["id"]) for c in changes] == [
        ("upsert", fresh["id"]),
        ("delete", gone["id"]),
        ("upsert", kept["id"]),  # folded into its last change, and shown as it is now
    ]
    assert changes[1]["item"] is None
    assert changes[2]["item"]["title"] == "renamed"
    assert changes[2]["item"]["completed"] is True
    assert (await sync(client, alice, since=token))["changes"] == []


async def test_deleting_a_list_leaves_a_tombstone_for_it_and_for_every_task_it_took_along(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    errands = (await client.post(LISTS, json={"name": "Errands"}, headers=alice)).json()
    parent = await create_task(client, alice, title="parent", list_id=errands["id"])
    child = await create_task(client, alice, title="child", parent_id=parent["id"])
    _, token = await sync_all(client, alice, None)

    assert (await client.delete(f"{LISTS}/{errands['id']}", headers=alice)).status_code == 204
    changes, _ = await sync_all(client, alice, token)

    deleted = {(c["kind"], c["id"]) for c in changes if c["op"] == "delete"}
    assert deleted == {("list", errands["id"]), ("task", parent["id"]), ("task", child["id"])}
    assert all(c["op"] == "delete" for c in changes)


async def test_pages_of_changes_follow_on_from_each_other_with_nothing_missed_or_repeated(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    _, token = await sync_all(client, alice, None)
    made = [await create_task(client, alice, title=f"T{n}") for n in range(7)]

    pages = []
    while True:
        page = await sync(client, alice, since=token, limit=3)
        pages.append([c["id"] for c in page["changes"]])
        token = page["next"]
        if not page["has_more"]:
            break

    assert pages == [[t["id"] for t in made[:3]], [t["id"] for t in made[3:6]], [made[6]["id"]]]


async def test_another_users_feed_shows_nothing_of_alices_and_her_token_is_refused_to_him(
    client: httpx.AsyncClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    _, alices_token = await sync_all(client, alice, None)
    _, bobs_token = await sync_all(client, bob, None)
    mine = await create_task(client, alice, title="alice's")
    await client.delete(task_url(mine["id"]), headers=alice)

    assert (await sync_all(client, bob, bobs_token))[0] == []
    assert (await sync_all(client, bob, None))[0] == []
    assert_invalid(await client.get(SYNC, params={"since": alices_token}, headers=bob), "since")


@pytest.mark.parametrize("token", ["", "not-a-token", "A" * 40, "x" * 2000])
async def test_a_token_that_is_not_one_is_a_422(
    client: httpx.AsyncClient, alice: dict[str, str], token: str
) -> None:
    response = await client.get(SYNC, params={"since": token}, headers=alice)
    assert_invalid(response, "since")


async def test_a_token_altered_by_a_single_character_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    _, token = await sync_all(client, alice, None)
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert_invalid(await client.get(SYNC, params={"since": altered}, headers=alice), "since")


async def test_a_token_older_than_the_retention_is_a_410_telling_the_client_to_start_again(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = f"carol-{uuid.uuid4()}"
    month_ago = datetime.now(UTC) - timedelta(days=30, minutes=1)
    old = token_at(app, owner, 0, issued=month_ago)
    young = token_at(app, owner, 0, issued=month_ago + timedelta(minutes=2))

    body = assert_problem(await client.get(SYNC, params={"since": old}, headers=auth(owner)), 410)
    assert "from scratch" in body["detail"]
    assert (await client.get(SYNC, params={"since": young}, headers=auth(owner))).status_code == 200


async def test_the_feed_needs_a_caller(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(SYNC), 401)


@pytest.mark.parametrize("limit", [0, 1001, "many"])
async def test_a_limit_out_of_range_is_a_422(
    client: httpx.AsyncClient, alice: dict[str, str], limit: object
) -> None:
    assert_invalid(await client.get(SYNC, params={"limit": limit}, headers=alice), "limit")


async def test_concurrent_writes_and_a_reader_polling_meanwhile_miss_nothing_and_repeat_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """The trap of numbering changes as they are made: a reader passing a later one while an
    earlier one is uncommitted would never see it. 50 writers, a reader polling all along."""
    _, token = await sync_all(client, alice, None)
    writers_done = asyncio.Event()
    seen: list[str] = []

    async def write(n: int) -> list[str]:
        return [(await create_task(client, alice, title=f"W{n}-{k}"))["id"] for k in range(3)]

    async def read() -> None:
        nonlocal token
        while True:
            last_round = writers_done.is_set()
            changes, token = await sync_all(client, alice, token)
            seen.extend(c["id"] for c in changes)
            if last_round:
                return
            await asyncio.sleep(0)

    reader = asyncio.create_task(read())
    written = await asyncio.gather(*(write(n) for n in range(50)))
    writers_done.set()
    await reader

    assert len(seen) == len(set(seen)) == 150
    assert set(seen) == {task_id for ids in written for task_id in ids}
    position = {task_id: index for index, task_id in enumerate(seen)}
    for ids in written:  # each writer's own creations, one after the other, in its order
        assert [position[task_id] for task_id in ids] == sorted(position[task_id] for task_id in ids)
    full, _ = await sync_all(client, alice, None)
    assert {c["id"] for c in full} == set(seen)


async def test_50_concurrent_writers_then_one_sync_from_the_start_of_the_log_every_change_once_in_order(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = f"dave-{uuid.uuid4()}"
    headers = auth(owner)
    committed: list[str] = []  # in the order each creation's answer came back

    async def write(n: int) -> None:
        task = await create_task(client, headers, title=f"W{n}")
        committed.append(task["id"])
        await client.patch(task_url(task["id"]), json={"completed": True}, headers=headers)
        committed.append(task["id"])

    await asyncio.gather(*(write(n) for n in range(50)))
    changes, _ = await sync_all(client, headers, token_at(app, owner, 0), limit=1000)
    unfolded, _ = await sync_all(client, headers, token_at(app, owner, 0), limit=1)

    assert len(changes) == 50  # each task's two changes folded into one: all in one page
    assert {c["id"] for c in changes} == set(committed)
    assert all(c["item"]["completed"] for c in changes)
    assert len(unfolded) == 100  # a page of one change each: every change, once
    for task_id in set(committed):  # each task's creation before its completion
        mine = [c for c in unfolded if c["id"] == task_id]
        assert len(mine) == 2


async def test_a_page_cursor_is_no_sync_token_and_a_sync_token_is_no_page_cursor(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for n in range(2):
        await create_task(client, alice, title=f"T{n}")
    cursor = (await client.get("/api/v1/tasks", params={"limit": 1}, headers=alice)).json()["next_cursor"]
    _, token = await sync_all(client, alice, None)

    assert_invalid(await client.get(SYNC, params={"since": cursor}, headers=alice), "since")
    assert_invalid(await client.get("/api/v1/tasks", params={"cursor": token}, headers=alice), "cursor")
