"""Tasks gain a place: a list (null: the Inbox), a parent (null: top level) and a position among
their siblings; moves, subtrees, the listing filters and manual order, over HTTP."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.api.helpers import TASK_FIELDS, TASKS, assert_invalid, assert_problem, create_task, task_url
from tests.support.app import auth

LISTS = "/api/v1/lists"
BULK = f"{TASKS}/bulk"
STATS = f"{TASKS}/stats"
UNKNOWN = "01900000-0000-7000-8000-000000000000"
PLACE_FIELDS = {"list_id", "parent_id", "position"}
CANNOT_GO_THERE = "The task cannot go there."


async def create_list(
    client: httpx.AsyncClient, headers: dict[str, str], name: str = "Work"
) -> dict[str, Any]:
    response = await client.post(LISTS, json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def read(client: httpx.AsyncClient, headers: dict[str, str], task_id: str) -> dict[str, Any]:
    response = await client.get(task_url(task_id), headers=headers)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


async def move(
    client: httpx.AsyncClient, headers: dict[str, str], task_id: str, **body: Any
) -> httpx.Response:
    return await client.post(f"{task_url(task_id)}/move", json=body, headers=headers)


async def moved(
    client: httpx.AsyncClient, headers: dict[str, str], task_id: str, **body: Any
) -> dict[str, Any]:
    response = await move(client, headers, task_id, **body)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(TASKS, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


async def titles(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    """The titles of the tasks the filters select, in manual order."""
    return [task["title"] for task in await listed(client, headers, sort="position", **params)]


async def children(client: httpx.AsyncClient, headers: dict[str, str], parent: dict[str, Any]) -> list[str]:
    return await titles(client, headers, parent_id=parent["id"])


async def everything(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every task the user has, by id: what a check that nothing changed compares."""
    return {task["id"]: task for task in await listed(client, headers)}


async def _chain(
    client: httpx.AsyncClient, headers: dict[str, str], depth: int, **fields: Any
) -> list[dict[str, Any]]:
    """`depth` tasks, each the subtask of the one before: level 1 to level `depth`."""
    chain = [await create_task(client, headers, title="level 1", **fields)]
    for level in range(2, depth + 1):
        chain.append(await create_task(client, headers, title=f"level {level}", parent_id=chain[-1]["id"]))
    return chain


# --- Where a new task goes ---


async def test_a_task_shows_its_place_and_a_new_one_is_at_the_top_level_of_the_inbox(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice)

    assert set(task) == TASK_FIELDS | PLACE_FIELDS
    assert task["list_id"] is None
    assert task["parent_id"] is None
    assert isinstance(task["position"], str)
    assert task["position"]
    assert await read(client, alice, task["id"]) == task


async def test_a_task_made_in_a_list_is_in_it_last_among_its_siblings(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    first = await create_task(client, alice, title="first", list_id=work["id"])
    second = await create_task(client, alice, title="second", list_id=work["id"])
    await create_task(client, alice, title="elsewhere")
    third = await create_task(client, alice, title="third", list_id=work["id"])

    assert first["list_id"] == second["list_id"] == third["list_id"] == work["id"]
    assert first["parent_id"] is None
    assert first["position"] < second["position"] < third["position"]
    assert await titles(client, alice, list_id=work["id"]) == ["first", "second", "third"]
    assert (await client.get(f"{LISTS}/{work['id']}", headers=alice)).json()["open_tasks"] == 3


async def test_a_subtask_goes_in_its_parents_list_last_under_it(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    parent = await create_task(client, alice, title="parent", list_id=work["id"])
    one = await create_task(client, alice, title="one", parent_id=parent["id"])
    two = await create_task(client, alice, title="two", parent_id=parent["id"], list_id=work["id"])

    for subtask in (one, two):
        assert subtask["list_id"] == work["id"]
        assert subtask["parent_id"] == parent["id"]
    assert await children(client, alice, parent) == ["one", "two"]
    assert await read(client, alice, parent["id"]) == parent  # a subtask does not change its parent


async def test_explicit_nulls_put_a_new_task_at_the_top_level_of_the_inbox(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task = await create_task(client, alice, list_id=None, parent_id=None)

    assert (task["list_id"], task["parent_id"]) == (None, None)


async def test_a_subtask_in_another_list_than_its_parent_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work, home = await create_list(client, alice, "Work"), await create_list(client, alice, "Home")
    parent = await create_task(client, alice, title="parent", list_id=work["id"])
    before = await everything(client, alice)

    in_home = await client.post(
        TASKS, json={"title": "x", "list_id": home["id"], "parent_id": parent["id"]}, headers=alice
    )
    in_inbox = await client.post(
        TASKS, json={"title": "x", "list_id": None, "parent_id": parent["id"]}, headers=alice
    )

    for response in (in_home, in_inbox):
        body = assert_invalid(response, "parent_id")
        assert body["detail"] == CANNOT_GO_THERE
    assert await everything(client, alice) == before


async def test_a_new_task_in_an_unknown_list_or_under_an_unknown_parent_is_a_404(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    no_list = await client.post(TASKS, json={"title": "x", "list_id": UNKNOWN}, headers=alice)
    no_parent = await client.post(TASKS, json={"title": "x", "parent_id": UNKNOWN}, headers=alice)

    assert assert_problem(no_list, 404)["detail"] == "No such list."
    assert assert_problem(no_parent, 404)["detail"] == "No such task."
    assert await listed(client, alice) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"list_id": "inbox"}, "list_id", id="list-inbox-word"),
        pytest.param({"list_id": "not-a-uuid"}, "list_id", id="list-malformed"),
        pytest.param({"list_id": 7}, "list_id", id="list-number"),
        pytest.param({"parent_id": "not-a-uuid"}, "parent_id", id="parent-malformed"),
        pytest.param({"after": None}, "after", id="after-on-create"),
        pytest.param({"position": "a0"}, "position", id="position-on-create"),
    ],
)
async def test_a_malformed_place_on_create_is_a_422_and_nothing_is_created(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post(TASKS, json={"title": "x", **body}, headers=alice)

    assert_invalid(response, field)
    assert await listed(client, alice) == []


async def test_an_idempotent_create_keeps_its_place_and_a_replay_makes_nothing_new(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    parent = await create_task(client, alice, title="parent", list_id=work["id"])
    headers = {**alice, "Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "once", "parent_id": parent["id"]}

    first = await client.post(TASKS, json=body, headers=headers)
    replay = await client.post(TASKS, json=body, headers=headers)

    assert first.status_code == 201, first.text
    assert first.json()["parent_id"] == parent["id"]
    assert first.json()["list_id"] == work["id"]
    assert replay.json() == first.json()
    assert await children(client, alice, parent) == ["once"]


# --- PATCH of list_id and parent_id ---


async def test_patching_list_id_moves_the_task_and_its_subtree_last_into_that_list(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    await create_task(client, alice, title="already there", list_id=work["id"])
    task = await create_task(client, alice, title="task")
    sub = await create_task(client, alice, title="sub", parent_id=task["id"])
    subsub = await create_task(client, alice, title="subsub", parent_id=sub["id"])

    response = await client.patch(
        task_url(task["id"]), json={"list_id": work["id"], "priority": "high"}, headers=alice
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["list_id"] == work["id"]
    assert changed["parent_id"] is None
    assert changed["priority"] == "high"
    assert changed["version"] == 2  # one new version for both changes
    assert response.headers["ETag"] == '"2"'
    assert await titles(client, alice, list_id=work["id"], top_level="true") == ["already there", "task"]
    for below, parent in ((sub, task), (subsub, sub)):
        now = await read(client, alice, below["id"])
        assert now["list_id"] == work["id"]
        assert now["parent_id"] == parent["id"]
        assert now["position"] == below["position"]
    assert await titles(client, alice, list_id="inbox") == []

    back = await client.patch(task_url(task["id"]), json={"list_id": None}, headers=alice)

    assert back.json()["list_id"] is None
    assert {t["title"] for t in await listed(client, alice, list_id="inbox")} == {"task", "sub", "subsub"}


async def test_patching_a_subtasks_list_id_takes_it_to_that_lists_top_level(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    parent = await create_task(client, alice, title="parent")
    sub = await create_task(client, alice, title="sub", parent_id=parent["id"])

    changed = (await client.patch(task_url(sub["id"]), json={"list_id": work["id"]}, headers=alice)).json()

    assert (changed["list_id"], changed["parent_id"]) == (work["id"], None)
    assert await children(client, alice, parent) == []


async def test_patching_parent_id_puts_the_task_last_under_that_parent_in_its_list(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    parent = await create_task(client, alice, title="parent", list_id=work["id"])
    await create_task(client, alice, title="older", parent_id=parent["id"])
    task = await create_task(client, alice, title="task")  # in the Inbox

    response = await client.patch(task_url(task["id"]), json={"parent_id": parent["id"]}, headers=alice)

    assert response.status_code == 200, response.text
    assert response.json()["parent_id"] == parent["id"]
    assert response.json()["list_id"] == work["id"]
    assert await children(client, alice, parent) == ["older", "task"]

    top = await client.patch(task_url(task["id"]), json={"parent_id": None}, headers=alice)

    assert (top.json()["list_id"], top.json()["parent_id"]) == (work["id"], None)
    assert await titles(client, alice, list_id=work["id"], top_level="true") == ["parent", "task"]


async def test_a_patch_without_a_place_leaves_the_task_where_it_is(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    first = await create_task(client, alice, title="first", list_id=work["id"])
    await create_task(client, alice, title="second", list_id=work["id"])

    changed = (await client.patch(task_url(first["id"]), json={"title": "renamed"}, headers=alice)).json()

    assert {name: changed[name] for name in PLACE_FIELDS} == {name: first[name] for name in PLACE_FIELDS}
    assert await titles(client, alice, list_id=work["id"]) == ["renamed", "second"]


async def test_a_patch_sending_back_the_tasks_own_place_does_not_reorder_it(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    parent = await create_task(client, alice, title="parent", list_id=work["id"])
    first = await create_task(client, alice, title="first", parent_id=parent["id"])
    await create_task(client, alice, title="second", parent_id=parent["id"])

    response = await client.patch(
        task_url(first["id"]),
        json={"title": "first, renamed", "list_id": work["id"], "parent_id": parent["id"]},
        headers=alice,
    )

    assert response.status_code == 200, response.text
    assert response.json()["position"] == first["position"]
    assert response.json()["version"] == 2
    assert await children(client, alice, parent) == ["first, renamed", "second"]


async def test_a_patch_under_a_task_in_another_list_than_the_one_named_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work, home = await create_list(client, alice, "Work"), await create_list(client, alice, "Home")
    parent = await create_task(client, alice, title="parent", list_id=work["id"])
    task = await create_task(client, alice, title="task")
    before = await everything(client, alice)

    response = await client.patch(
        task_url(task["id"]),
        json={"parent_id": parent["id"], "list_id": home["id"], "title": "x"},
        headers=alice,
    )

    assert assert_invalid(response, "parent_id")["detail"] == CANNOT_GO_THERE
    assert await everything(client, alice) == before


# --- POST /move ---


async def _three(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> list[dict[str, Any]]:
    return [await create_task(client, headers, title=title, **fields) for title in ("A", "B", "C")]


async def test_a_move_after_a_sibling_first_or_last_writes_only_the_moved_tasks_position(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    a, b, c = await _three(client, alice, list_id=work["id"])

    to_first = await move(client, alice, c["id"], after=None)

    assert to_first.status_code == 200, to_first.text
    assert to_first.headers["ETag"] == '"2"'
    assert to_first.json()["version"] == 2
    assert await titles(client, alice, list_id=work["id"]) == ["C", "A", "B"]
    assert await read(client, alice, a["id"]) == a  # the siblings keep their positions and versions
    assert await read(client, alice, b["id"]) == b

    await moved(client, alice, c["id"], after=a["id"])
    assert await titles(client, alice, list_id=work["id"]) == ["A", "C", "B"]

    await moved(client, alice, a["id"], list_id=work["id"])  # `after` left out: last
    assert await titles(client, alice, list_id=work["id"]) == ["C", "B", "A"]

    await moved(client, alice, c["id"], parent_id=None)  # `after` left out: last
    assert await titles(client, alice, list_id=work["id"]) == ["B", "A", "C"]
    await moved(client, alice, c["id"], after=None)

    await moved(client, alice, a["id"], after=c["id"])
    assert await titles(client, alice, list_id=work["id"]) == ["C", "A", "B"]
    assert await read(client, alice, b["id"]) == b


async def test_a_move_with_an_empty_body_leaves_the_task_where_it_is(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    # docs/api.md: "`{}` leaves the task where it is" (the "absent: last" is for `after`
    # beside a list or parent named).
    a, b, c = await _three(client, alice)

    response = await move(client, alice, a["id"])

    assert response.status_code == 200, response.text
    assert response.json() == a
    assert response.headers["ETag"] == '"1"'
    assert await titles(client, alice, list_id="inbox") == ["A", "B", "C"]
    assert [await read(client, alice, task["id"]) for task in (a, b, c)] == [a, b, c]


async def test_a_move_to_where_the_task_is_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    a, b, c = await _three(client, alice)

    first = await moved(client, alice, a["id"], after=None)
    after_a = await moved(client, alice, b["id"], after=a["id"])
    last = await moved(client, alice, c["id"])

    assert (first, after_a, last) == (a, b, c)


async def test_a_move_after_a_task_elsewhere_puts_it_beside_that_task(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    parent = await create_task(client, alice, title="parent", list_id=work["id"])
    x = await create_task(client, alice, title="x", parent_id=parent["id"])
    await create_task(client, alice, title="y", parent_id=parent["id"])
    task = await create_task(client, alice, title="task")  # in the Inbox

    result = await moved(client, alice, task["id"], after=x["id"])

    assert (result["list_id"], result["parent_id"]) == (work["id"], parent["id"])
    assert await children(client, alice, parent) == ["x", "task", "y"]


async def test_a_move_to_another_list_takes_the_whole_subtree_to_its_top_level(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work, home = await create_list(client, alice, "Work"), await create_list(client, alice, "Home")
    other = await create_task(client, alice, title="other", list_id=home["id"])
    root = await create_task(client, alice, title="root", list_id=work["id"])
    mid = await create_task(client, alice, title="mid", parent_id=root["id"])
    leaf = await create_task(client, alice, title="leaf", parent_id=mid["id"], completed=True)

    result = await moved(client, alice, root["id"], list_id=home["id"], after=None)

    assert (result["list_id"], result["parent_id"]) == (home["id"], None)
    assert await titles(client, alice, list_id=home["id"], top_level="true") == ["root", "other"]
    assert await titles(client, alice, list_id=work["id"]) == []
    for below, parent in ((mid, root), (leaf, mid)):
        now = await read(client, alice, below["id"])
        assert (now["list_id"], now["parent_id"]) == (home["id"], parent["id"])
        assert now["completed"] == below["completed"]
    counts = {
        item["name"]: item["open_tasks"] for item in (await client.get(LISTS, headers=alice)).json()["items"]
    }
    assert counts == {"Work": 0, "Home": 3}
    assert await read(client, alice, other["id"]) == other


async def test_a_move_under_another_parent_goes_last_or_where_asked(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    p, q = await create_task(client, alice, title="P"), await create_task(client, alice, title="Q")
    p1 = await create_task(client, alice, title="p1", parent_id=p["id"])
    q1 = await create_task(client, alice, title="q1", parent_id=q["id"])
    q2 = await create_task(client, alice, title="q2", parent_id=q["id"])

    last = await moved(client, alice, p1["id"], parent_id=q["id"])
    assert last["parent_id"] == q["id"]
    assert await children(client, alice, q) == ["q1", "q2", "p1"]
    assert await children(client, alice, p) == []

    await moved(client, alice, p1["id"], parent_id=q["id"], after=q1["id"])
    assert await children(client, alice, q) == ["q1", "p1", "q2"]

    top = await moved(client, alice, q2["id"], parent_id=None, after=p["id"])
    assert top["parent_id"] is None
    assert await titles(client, alice, top_level="true") == ["P", "q2", "Q"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"after": "not-a-uuid"}, "after", id="malformed-after"),
        pytest.param({"list_id": "inbox"}, "list_id", id="inbox-word"),
        pytest.param({"parent_id": 5}, "parent_id", id="number-parent"),
        pytest.param({"position": "a0"}, "position", id="position"),
        pytest.param({"title": "x"}, "title", id="title"),
    ],
)
async def test_a_malformed_move_is_a_422_and_nothing_moves(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    a, _, _ = await _three(client, alice)
    before = await everything(client, alice)

    response = await client.post(f"{task_url(a['id'])}/move", json=body, headers=alice)

    assert_invalid(response, field)
    assert await everything(client, alice) == before


async def test_a_move_naming_unknown_ids_is_a_404_and_nothing_moves(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    a, _, _ = await _three(client, alice)
    before = await everything(client, alice)

    answers = {
        "list": await move(client, alice, a["id"], list_id=UNKNOWN),
        "parent": await move(client, alice, a["id"], parent_id=UNKNOWN),
        "after": await move(client, alice, a["id"], after=UNKNOWN),
        "task": await move(client, alice, UNKNOWN, after=None),
    }

    assert assert_problem(answers["list"], 404)["detail"] == "No such list."
    for which in ("parent", "after", "task"):
        assert assert_problem(answers[which], 404)["detail"] == "No such task."
    assert await everything(client, alice) == before


async def test_a_move_after_a_task_that_is_not_beside_the_place_named_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    a, b, _ = await _three(client, alice)
    in_work = await create_task(client, alice, title="in work", list_id=work["id"])
    before = await everything(client, alice)

    other_list = await move(client, alice, a["id"], list_id=work["id"], after=b["id"])
    other_parent = await move(client, alice, a["id"], parent_id=b["id"], after=in_work["id"])
    itself = await move(client, alice, a["id"], after=a["id"])

    assert assert_invalid(other_list, "after")["detail"] == CANNOT_GO_THERE
    assert assert_invalid(other_parent)["detail"] == CANNOT_GO_THERE
    assert assert_invalid(itself, "after")["detail"] == CANNOT_GO_THERE
    assert await everything(client, alice) == before


async def test_a_move_honours_if_match(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    a, _, c = await _three(client, alice)
    await client.patch(task_url(a["id"]), json={"priority": "low"}, headers=alice)
    before = await everything(client, alice)

    stale = await move(client, {**alice, "If-Match": '"1"'}, a["id"], after=c["id"])
    malformed = await move(client, {**alice, "If-Match": "2"}, a["id"], after=c["id"])

    assert_problem(stale, 412)
    assert_problem(malformed, 400)
    assert await everything(client, alice) == before
    current = await move(client, {**alice, "If-Match": '"2"'}, a["id"], after=c["id"])
    assert current.status_code == 200, current.text
    assert await titles(client, alice) == ["B", "C", "A"]


async def test_many_moves_keep_the_order_asked_with_short_positions_and_new_tasks_still_go_last(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    parent = await create_task(client, alice, title="parent")
    made = [await create_task(client, alice, title=f"s{n}", parent_id=parent["id"]) for n in range(5)]
    order = [task["id"] for task in made]
    rng = random.Random(13)

    # First "the last one, just after the first" again and again: the gap after the first keeps
    # halving, so keys grow until the group is given fresh positions; then random moves.
    longest, rebalanced = 0, False
    for step in range(320):
        if step >= 280:
            task_id = rng.choice(order)
            rest = [other for other in order if other != task_id]
            after = rng.choice([None, *rest])
        else:
            task_id, after, rest = order[-1], order[0], order[:-1]
        position = (await moved(client, alice, task_id, after=after))["position"]
        assert len(position) <= 48
        rebalanced = rebalanced or (longest > 40 and len(position) < 10)
        longest = max(longest, len(position))
        index = 0 if after is None else rest.index(after) + 1
        order = [*rest[:index], task_id, *rest[index:]]

    assert rebalanced  # the keys grew long, and the group was given fresh, short ones
    newest = await create_task(client, alice, title="newest", parent_id=parent["id"])
    group = await listed(client, alice, parent_id=parent["id"], sort="position")
    assert [task["id"] for task in group] == [*order, newest["id"]]
    positions = [task["position"] for task in group]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert max(len(position) for position in positions) <= 48
    assert await read(client, alice, parent["id"]) == parent


# --- Cycles and depth ---


async def test_a_task_cannot_go_under_itself_or_its_own_subtasks(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    root, child, grandchild = await _chain(client, alice, 3)
    before = await everything(client, alice)

    answers = [
        await move(client, alice, root["id"], parent_id=grandchild["id"]),
        await move(client, alice, root["id"], parent_id=child["id"]),
        await move(client, alice, child["id"], parent_id=child["id"]),
        await client.patch(task_url(root["id"]), json={"parent_id": grandchild["id"]}, headers=alice),
        await client.patch(
            task_url(child["id"]), json={"parent_id": child["id"], "title": "x"}, headers=alice
        ),
        await move(client, alice, root["id"], after=grandchild["id"]),  # beside its own subtask
    ]

    for response in answers:
        assert assert_invalid(response)["detail"] == CANNOT_GO_THERE
    assert await everything(client, alice) == before


async def test_subtasks_nest_at_most_five_levels_deep(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    chain = await _chain(client, alice, 5)
    before = await everything(client, alice)

    sixth = await client.post(TASKS, json={"title": "level 6", "parent_id": chain[-1]["id"]}, headers=alice)

    assert assert_invalid(sixth, "parent_id")["detail"] == CANNOT_GO_THERE
    assert await everything(client, alice) == before
    assert (await children(client, alice, chain[3])) == ["level 5"]


async def test_a_subtree_cannot_be_moved_where_it_would_nest_deeper_than_five_levels(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    chain = await _chain(client, alice, 5)  # levels 1..5
    top = await create_task(client, alice, title="two-level")
    below = await create_task(client, alice, title="its subtask", parent_id=top["id"])
    before = await everything(client, alice)

    too_deep = [
        await move(client, alice, top["id"], parent_id=chain[3]["id"]),  # 4 + 2 = 6
        await client.patch(task_url(top["id"]), json={"parent_id": chain[3]["id"]}, headers=alice),
        await move(client, alice, top["id"], after=chain[4]["id"]),  # beside level 5: 5 + 2
    ]

    for response in too_deep:
        assert assert_invalid(response)["detail"] == CANNOT_GO_THERE
    assert await everything(client, alice) == before

    fits = await moved(client, alice, top["id"], parent_id=chain[2]["id"])  # 3 + 2 = 5

    assert fits["parent_id"] == chain[2]["id"]
    assert (await read(client, alice, below["id"]))["parent_id"] == top["id"]
    assert await children(client, alice, chain[2]) == ["level 4", "two-level"]


# --- Completing, deleting, recurring ---


@pytest.mark.parametrize("how", ["patch", "toggle", "bulk"])
async def test_completing_a_task_completes_its_open_subtasks_and_reopening_does_not_reopen_them(
    client: httpx.AsyncClient, alice: dict[str, str], how: str
) -> None:
    root, child, grandchild = await _chain(client, alice, 3)
    done_before = await create_task(client, alice, title="done before", parent_id=root["id"], completed=True)
    sibling = await create_task(client, alice, title="sibling")

    if how == "patch":
        response = await client.patch(task_url(root["id"]), json={"completed": True}, headers=alice)
    elif how == "toggle":
        response = await client.post(f"{task_url(root['id'])}/toggle", headers=alice)
    else:
        response = await client.post(BULK, json={"action": "complete", "ids": [root["id"]]}, headers=alice)
    assert response.status_code == 200, response.text
    if how == "bulk":
        assert response.json() == {"affected": 1}

    for task in (root, child, grandchild):
        now = await read(client, alice, task["id"])
        assert now["completed"] is True
        assert now["completed_at"] is not None
        assert now["version"] == 2
    assert await read(client, alice, done_before["id"]) == done_before
    assert await read(client, alice, sibling["id"]) == sibling

    reopened = await client.patch(task_url(root["id"]), json={"completed": False}, headers=alice)

    assert reopened.json()["completed"] is False
    assert (await read(client, alice, child["id"]))["completed"] is True
    assert (await read(client, alice, grandchild["id"]))["completed"] is True


async def test_completing_a_subtask_leaves_its_parent_and_siblings_alone(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    parent = await create_task(client, alice, title="parent")
    one = await create_task(client, alice, title="one", parent_id=parent["id"])
    two = await create_task(client, alice, title="two", parent_id=parent["id"])

    await client.post(f"{task_url(one['id'])}/toggle", headers=alice)

    assert await read(client, alice, parent["id"]) == parent
    assert await read(client, alice, two["id"]) == two


@pytest.mark.parametrize("how", ["delete", "bulk"])
async def test_deleting_a_task_deletes_its_subtree_only(
    client: httpx.AsyncClient, alice: dict[str, str], how: str
) -> None:
    work = await create_list(client, alice)
    root, child, grandchild = await _chain(client, alice, 3, list_id=work["id"])
    sibling = await create_task(client, alice, title="sibling", list_id=work["id"])
    elsewhere = await create_task(client, alice, title="elsewhere")

    if how == "delete":
        response = await client.delete(task_url(root["id"]), headers=alice)
        assert response.status_code == 204, response.text
    else:
        response = await client.post(BULK, json={"action": "delete", "ids": [root["id"]]}, headers=alice)
        assert response.json() == {"affected": 1}

    for gone in (root, child, grandchild):
        assert_problem(await client.get(task_url(gone["id"]), headers=alice), 404)
    assert set(await everything(client, alice)) == {sibling["id"], elsewhere["id"]}
    assert (await client.get(f"{LISTS}/{work['id']}", headers=alice)).json()["open_tasks"] == 1


async def test_bulk_deleting_a_task_with_its_subtask_counts_both(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    root, child, grandchild = await _chain(client, alice, 3)
    kept = await create_task(client, alice, title="kept")

    response = await client.post(
        BULK, json={"action": "delete", "ids": [child["id"], root["id"]]}, headers=alice
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"affected": 2}
    assert set(await everything(client, alice)) == {kept["id"]}
    assert grandchild["id"] not in await everything(client, alice)


async def test_a_recurring_tasks_next_occurrence_brings_open_copies_of_its_subtasks(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    parent = await create_task(
        client,
        alice,
        title="Weekly review",
        recurrence="weekly",
        due_at="2030-01-10T09:00:00Z",
        list_id=work["id"],
    )
    inbox = await create_task(
        client, alice, title="Inbox zero", parent_id=parent["id"], due_at="2030-01-10T08:00:00Z"
    )
    plan = await create_task(
        client, alice, title="Plan", parent_id=parent["id"], completed=True, tags=["planning"]
    )
    await create_task(client, alice, title="Archive mail", parent_id=inbox["id"], priority="high")
    await moved(client, alice, inbox["id"], after=plan["id"])  # the subtasks' order is Plan, Inbox zero

    completed = await client.post(f"{task_url(parent['id'])}/toggle", headers=alice)

    assert completed.json()["completed"] is True
    assert await children(client, alice, parent) == ["Plan", "Inbox zero"]
    originals = await listed(client, alice, parent_id=parent["id"])
    assert all(original["completed"] for original in originals)
    pending = await listed(client, alice, completed="false", top_level="true")
    assert [(task["title"], task["due_at"], task["list_id"]) for task in pending] == [
        ("Weekly review", "2030-01-17T09:00:00Z", work["id"])
    ]
    successor = pending[0]
    copies = await listed(client, alice, parent_id=successor["id"], sort="position")
    assert [(task["title"], task["completed"], task["due_at"], task["tags"]) for task in copies] == [
        ("Plan", False, None, ["planning"]),
        ("Inbox zero", False, "2030-01-17T08:00:00Z", []),
    ]
    assert all(task["list_id"] == work["id"] for task in copies)
    assert {task["id"] for task in copies}.isdisjoint({task["id"] for task in originals})
    nested = await listed(client, alice, parent_id=copies[1]["id"])
    assert [(task["title"], task["completed"], task["priority"]) for task in nested] == [
        ("Archive mail", False, "high")
    ]
    assert (await client.get(f"{LISTS}/{work['id']}", headers=alice)).json()["open_tasks"] == 4

    # Reopening keeps the copies, reopens none of the originals, and completing again brings no more.
    await client.post(f"{task_url(parent['id'])}/toggle", headers=alice)
    assert all(task["completed"] for task in await listed(client, alice, parent_id=parent["id"]))
    await client.post(f"{task_url(parent['id'])}/toggle", headers=alice)
    assert len(await everything(client, alice)) == 8


# --- Listing: filters and manual order ---


async def _landscape(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Tasks in the Inbox, in two lists, at several levels; by title (lists under "list:")."""
    work, home = await create_list(client, headers, "Work"), await create_list(client, headers, "Home")
    made: dict[str, dict[str, Any]] = {"list:work": work, "list:home": home}
    for title, where in [
        ("i1", {}),
        ("i2", {}),
        ("w1", {"list_id": work["id"]}),
        ("w2", {"list_id": work["id"]}),
        ("h1", {"list_id": home["id"]}),
    ]:
        made[title] = await create_task(client, headers, title=title, **where)
    for title, parent in [("i2a", "i2"), ("w1a", "w1"), ("w1b", "w1"), ("w1a1", "w1a")]:
        made[title] = await create_task(client, headers, title=title, parent_id=made[parent]["id"])
    return made


async def test_the_listing_filters_by_list_parent_and_level(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = await _landscape(client, alice)
    work, home = made["list:work"]["id"], made["list:home"]["id"]

    async def chosen(**params: Any) -> set[str]:
        return {task["title"] for task in await listed(client, alice, **params)}

    assert await chosen() == {"i1", "i2", "i2a", "w1", "w2", "w1a", "w1b", "w1a1", "h1"}
    assert await chosen(list_id="inbox") == {"i1", "i2", "i2a"}
    assert await chosen(list_id=work) == {"w1", "w2", "w1a", "w1b", "w1a1"}
    assert await chosen(list_id=work.upper()) == {"w1", "w2", "w1a", "w1b", "w1a1"}
    assert await chosen(list_id=home) == {"h1"}
    assert await chosen(top_level="true") == {"i1", "i2", "w1", "w2", "h1"}
    assert await chosen(list_id=work, top_level="true") == {"w1", "w2"}
    assert await chosen(list_id="inbox", top_level="true") == {"i1", "i2"}
    assert await chosen(parent_id=made["w1"]["id"]) == {"w1a", "w1b"}
    assert await chosen(parent_id=made["w1a1"]["id"]) == set()
    assert await chosen(list_id=work, completed="false", q="w1a") == {"w1a", "w1a1"}


async def test_the_default_order_is_still_newest_first_across_lists_and_levels(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    made = await _landscape(client, alice)
    await moved(client, alice, made["i2"]["id"], after=None)

    items = await listed(client, alice)

    assert [task["title"] for task in items] == ["w1a1", "w1b", "w1a", "i2a", "h1", "w2", "w1", "i2", "i1"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"list_id": "Inbox"}, "list_id", id="inbox-capitalised"),
        pytest.param({"list_id": "none"}, "list_id", id="list-none"),
        pytest.param({"list_id": "12345"}, "list_id", id="list-short"),
        pytest.param({"parent_id": "inbox"}, "parent_id", id="parent-inbox"),
        pytest.param({"top_level": "yes please"}, "top_level", id="top-level-text"),
        pytest.param({"sort": "positions"}, "sort", id="unknown-sort"),
    ],
)
async def test_a_malformed_place_filter_is_a_422(
    client: httpx.AsyncClient, alice: dict[str, str], params: dict[str, str], field: str | None
) -> None:
    assert_invalid(await client.get(TASKS, params=params, headers=alice), field)


async def test_parent_id_with_top_level_selects_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    parent = await create_task(client, alice, title="parent")
    await create_task(client, alice, title="child", parent_id=parent["id"])

    both = await client.get(TASKS, params={"parent_id": parent["id"], "top_level": "true"}, headers=alice)
    unknown = await client.get(TASKS, params={"parent_id": UNKNOWN, "top_level": "true"}, headers=alice)

    assert both.status_code == 200, both.text
    assert both.json() == {"items": [], "next_cursor": None}
    assert assert_problem(unknown, 404)["detail"] == "No such task."


async def test_filtering_on_an_unknown_list_or_parent_is_a_404(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await create_task(client, alice)

    no_list = await client.get(TASKS, params={"list_id": UNKNOWN}, headers=alice)
    no_parent = await client.get(TASKS, params={"parent_id": UNKNOWN}, headers=alice)

    assert assert_problem(no_list, 404)["detail"] == "No such list."
    assert assert_problem(no_parent, 404)["detail"] == "No such task."


async def _walk(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    """Follow next_cursor to the end, two tasks a page; the ids in the order seen."""
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get(TASKS, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen.extend(task["id"] for task in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the pages never ended")


async def test_manual_order_pages_by_cursor_exactly_as_one_big_page(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    tasks = [await create_task(client, alice, title=f"t{n}", list_id=work["id"]) for n in range(7)]
    ids = [task["id"] for task in tasks]
    await create_task(client, alice, title="in the inbox")
    await create_task(client, alice, title="a subtask", parent_id=ids[0])
    order = list(ids)
    for task_id, after in [
        (ids[6], None),
        (ids[0], ids[3]),
        (ids[2], ids[6]),
        (ids[4], None),
        (ids[5], ids[4]),
    ]:
        await moved(client, alice, task_id, after=after)
        order.remove(task_id)
        order.insert(0 if after is None else order.index(after) + 1, task_id)

    params = {"list_id": work["id"], "top_level": "true"}
    one_page = [task["id"] for task in await listed(client, alice, sort="position", **params)]
    walked = await _walk(client, alice, sort="position", **params)
    backwards = await _walk(client, alice, sort="-position", **params)

    assert one_page == order
    assert walked == order
    assert backwards == list(reversed(order))


async def test_manual_order_over_every_task_pages_through_tied_positions_exactly_once(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    # A recurring task's next occurrence copies its subtasks at their positions: equal keys to page past.
    parent = await create_task(
        client, alice, title="daily", recurrence="daily", due_at="2030-01-01T09:00:00Z"
    )
    for n in range(3):
        await create_task(client, alice, title=f"step {n}", parent_id=parent["id"])
    await client.post(f"{task_url(parent['id'])}/toggle", headers=alice)
    await client.post(f"{task_url(parent['id'])}/toggle", headers=alice)
    successors = await listed(client, alice, completed="false", top_level="true")
    for successor in successors:
        await client.post(f"{task_url(successor['id'])}/toggle", headers=alice)
    positions = [task["position"] for task in await listed(client, alice)]
    assert len(positions) > len(set(positions))  # some positions are tied

    for sort in ("position", "-position"):
        one_page = [task["id"] for task in await listed(client, alice, sort=sort)]
        walked = await _walk(client, alice, sort=sort)
        assert walked == one_page
        assert len(set(walked)) == len(walked) == len(positions)


async def test_a_cursor_for_one_list_is_refused_for_another(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work, home = await create_list(client, alice, "Work"), await create_list(client, alice, "Home")
    for n in range(3):
        await create_task(client, alice, title=f"w{n}", list_id=work["id"])
    first = await client.get(
        TASKS, params={"list_id": work["id"], "sort": "position", "limit": 1}, headers=alice
    )
    cursor = first.json()["next_cursor"]
    assert cursor

    for params in (
        {"list_id": home["id"]},
        {"list_id": "inbox"},
        {},
        {"list_id": work["id"], "top_level": "true"},
    ):
        response = await client.get(
            TASKS, params={**params, "sort": "position", "limit": 1, "cursor": cursor}, headers=alice
        )
        assert_invalid(response, "cursor")


# --- Stats ---


async def test_stats_count_one_lists_tasks_or_the_inboxs_or_all(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work, home = await create_list(client, alice, "Work"), await create_list(client, alice, "Home")
    parent = await create_task(client, alice, title="w", list_id=work["id"], due_at="2001-01-01T00:00:00Z")
    await create_task(client, alice, title="w sub", parent_id=parent["id"], completed=True)
    await create_task(client, alice, title="w2", list_id=work["id"])
    await create_task(client, alice, title="i", completed=True)

    async def stats(**params: str) -> dict[str, int]:
        response = await client.get(STATS, params=params, headers=alice)
        assert response.status_code == 200, response.text
        counts: dict[str, int] = response.json()
        return counts

    assert await stats(list_id=work["id"]) == {"total": 3, "completed": 1, "pending": 2, "overdue": 1}
    assert await stats(list_id="inbox") == {"total": 1, "completed": 1, "pending": 0, "overdue": 0}
    assert await stats(list_id=home["id"]) == {"total": 0, "completed": 0, "pending": 0, "overdue": 0}
    assert await stats() == {"total": 4, "completed": 2, "pending": 2, "overdue": 1}


@pytest.mark.parametrize(("value", "status"), [(UNKNOWN, 404), ("not-a-list", 422), ("", 422)])
async def test_stats_for_an_unknown_or_malformed_list_are_refused(
    client: httpx.AsyncClient, alice: dict[str, str], value: str, status: int
) -> None:
    response = await client.get(STATS, params={"list_id": value}, headers=alice)

    if status == 404:
        assert assert_problem(response, 404)["detail"] == "No such list."
    else:
        assert_invalid(response, "list_id")


# --- Bulk move ---


async def _bulk_move(
    client: httpx.AsyncClient, headers: dict[str, str], ids: list[str], list_id: str | None
) -> httpx.Response:
    return await client.post(BULK, json={"action": "move", "ids": ids, "list_id": list_id}, headers=headers)


async def test_bulk_move_puts_each_task_last_at_the_lists_top_level_in_the_order_named(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    there = await create_task(client, alice, title="there", list_id=work["id"])
    a, b, c = await _three(client, alice)
    b1 = await create_task(client, alice, title="b1", parent_id=b["id"])
    untouched = await create_task(client, alice, title="untouched")

    response = await _bulk_move(client, alice, [c["id"], a["id"], b["id"]], work["id"])

    assert response.status_code == 200, response.text
    assert response.json() == {"affected": 3}
    assert await titles(client, alice, list_id=work["id"], top_level="true") == ["there", "C", "A", "B"]
    now_b1 = await read(client, alice, b1["id"])
    assert (now_b1["list_id"], now_b1["parent_id"]) == (work["id"], b["id"])
    assert await read(client, alice, there["id"]) == there
    assert await read(client, alice, untouched["id"]) == untouched
    for task in (a, b, c):
        assert (await read(client, alice, task["id"]))["version"] == 2

    back = await _bulk_move(client, alice, [b["id"]], None)

    assert back.json() == {"affected": 1}
    assert await titles(client, alice, list_id="inbox", top_level="true") == ["untouched", "B"]
    assert (await read(client, alice, b1["id"]))["list_id"] is None


async def test_bulk_move_lifts_a_named_subtask_to_the_top_level_unless_its_parent_is_named_too(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work, home = await create_list(client, alice, "Work"), await create_list(client, alice, "Home")
    parent = await create_task(client, alice, title="parent")
    child = await create_task(client, alice, title="child", parent_id=parent["id"])
    grandchild = await create_task(client, alice, title="grandchild", parent_id=child["id"])
    lone = await create_task(client, alice, title="lone", parent_id=parent["id"])

    together = await _bulk_move(client, alice, [grandchild["id"], parent["id"]], work["id"])

    assert together.json() == {"affected": 1}
    now = await read(client, alice, grandchild["id"])
    assert (now["list_id"], now["parent_id"]) == (work["id"], child["id"])
    assert await titles(client, alice, list_id=work["id"], top_level="true") == ["parent"]

    alone = await _bulk_move(client, alice, [lone["id"]], home["id"])

    assert alone.json() == {"affected": 1}
    now = await read(client, alice, lone["id"])
    assert (now["list_id"], now["parent_id"]) == (home["id"], None)
    assert await children(client, alice, parent) == ["child"]


async def test_bulk_move_of_tasks_already_at_that_top_level_counts_none_and_changes_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    a, b, c = await _three(client, alice, list_id=work["id"])

    response = await _bulk_move(client, alice, [c["id"], a["id"]], work["id"])

    assert response.json() == {"affected": 0}
    assert [await read(client, alice, task["id"]) for task in (a, b, c)] == [a, b, c]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"action": "move", "ids": ["MINE"]}, "list_id", id="move-without-list"),
        pytest.param(
            {"action": "complete", "ids": ["MINE"], "list_id": None}, "list_id", id="complete-with-list"
        ),
        pytest.param(
            {"action": "delete", "ids": ["MINE"], "list_id": "LIST"}, "list_id", id="delete-with-list"
        ),
        pytest.param({"action": "move", "ids": ["MINE"], "list_id": "inbox"}, "list_id", id="inbox-word"),
        pytest.param(
            {"action": "move", "ids": ["MINE"], "list_id": None, "after": None}, "after", id="after"
        ),
    ],
)
async def test_an_invalid_bulk_move_is_a_422_and_nothing_changes(
    client: httpx.AsyncClient, alice: dict[str, str], body: dict[str, Any], field: str
) -> None:
    work = await create_list(client, alice)
    task = await create_task(client, alice, list_id=work["id"])
    body = {**body, "ids": [task["id"]]}
    if body.get("list_id") == "LIST":
        body["list_id"] = work["id"]

    response = await client.post(BULK, json=body, headers=alice)

    # Not assert_invalid: the action-versus-list_id check is the use case's, whose detail names nothing.
    problem = assert_problem(response, 422)
    assert any(field in error["loc"] for error in problem["errors"]), problem
    assert await read(client, alice, task["id"]) == task


async def test_a_bulk_move_to_an_unknown_list_is_a_404_and_nothing_moves(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    a, b, _ = await _three(client, alice)
    before = await everything(client, alice)

    to_nowhere = await _bulk_move(client, alice, [a["id"], b["id"]], UNKNOWN)
    unknown_task = await _bulk_move(client, alice, [a["id"], UNKNOWN], None)

    assert assert_problem(to_nowhere, 404)["detail"] == "No such list."
    assert assert_problem(unknown_task, 404)["missing_ids"] == [UNKNOWN]
    assert await everything(client, alice) == before


# --- PUT keeps the place ---


async def test_put_replaces_the_fields_and_keeps_the_tasks_place(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    work = await create_list(client, alice)
    parent = await create_task(client, alice, title="parent", list_id=work["id"])
    first = await create_task(client, alice, title="first", parent_id=parent["id"])
    task = await create_task(client, alice, title="task", parent_id=parent["id"], tags=["old"])
    task = await moved(client, alice, task["id"], after=None)

    response = await client.put(task_url(task["id"]), json={"title": "replaced"}, headers=alice)

    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["title"] == "replaced"
    assert replaced["tags"] == []
    assert {name: replaced[name] for name in PLACE_FIELDS} == {name: task[name] for name in PLACE_FIELDS}
    assert await children(client, alice, parent) == ["replaced", "first"]
    assert await read(client, alice, first["id"]) == first


@pytest.mark.parametrize("field", ["list_id", "parent_id", "position"])
async def test_put_naming_a_place_is_a_422_and_nothing_changes(
    client: httpx.AsyncClient, alice: dict[str, str], field: str
) -> None:
    task = await create_task(client, alice)

    response = await client.put(task_url(task["id"]), json={"title": "x", field: None}, headers=alice)

    assert_invalid(response, field)
    assert await read(client, alice, task["id"]) == task


# --- The compatibility routes ---


COMPAT_FAMILIES = ["/api/{user_id}", "/api/users/{user_id}", "/api"]


@pytest.mark.parametrize("family", COMPAT_FAMILIES)
async def test_the_compatibility_routes_see_and_change_tasks_in_every_list_and_level(
    client: httpx.AsyncClient, family: str
) -> None:
    sub = f"carol-{uuid.uuid4()}"
    carol = auth(sub)
    base = family.format(user_id=quote(sub, safe="")) + "/tasks"
    work = await create_list(client, carol)
    parent = await create_task(client, carol, title="parent", list_id=work["id"])
    child = await create_task(client, carol, title="child", parent_id=parent["id"])
    inbox = await create_task(client, carol, title="inbox")

    everyone = await client.get(base, headers=carol)
    one = await client.get(f"{base}/{child['id']}", headers=carol)

    assert everyone.status_code == 200, everyone.text
    assert {task["title"] for task in everyone.json()} == {"parent", "child", "inbox"}
    assert one.json()["parent_id"] == parent["id"]
    assert one.json()["list_id"] == work["id"]

    put = await client.put(f"{base}/{child['id']}", json={"title": "renamed", "list_id": None}, headers=carol)

    assert put.status_code == 200, put.text
    assert {name: put.json()[name] for name in PLACE_FIELDS} == {name: child[name] for name in PLACE_FIELDS}

    completed = await client.post(f"{base}/{parent['id']}/complete", headers=carol)

    assert completed.json()["completed"] is True
    assert (await read(client, carol, child["id"]))["completed"] is True

    created = await client.post(base, json={"title": "from an old client"}, headers=carol)

    assert created.status_code == 201, created.text
    assert (created.json()["list_id"], created.json()["parent_id"]) == (None, None)

    deleted = await client.delete(f"{base}/{parent['id']}", headers=carol)

    assert deleted.status_code == 200, deleted.text
    assert_problem(await client.get(task_url(child["id"]), headers=carol), 404)
    assert {task["title"] for task in (await client.get(base, headers=carol)).json()} == {
        "inbox",
        "from an old client",
    }
    assert await read(client, carol, inbox["id"]) == inbox


# --- Concurrent moves ---


async def _ancestors(client: httpx.AsyncClient, headers: dict[str, str], task: dict[str, Any]) -> list[str]:
    """The ids above a task, nearest first, read one parent at a time (stopping at a loop)."""
    above: list[str] = []
    parent_id = (await read(client, headers, task["id"]))["parent_id"]
    while parent_id is not None and parent_id not in above and len(above) <= 10:
        above.append(parent_id)
        parent_id = (await read(client, headers, parent_id))["parent_id"]
    return above


ROUNDS = 6  # a race shows only when the two requests interleave: give it a few chances


async def test_two_concurrent_moves_cannot_make_a_cycle(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for _ in range(ROUNDS):
        a, b = await create_task(client, alice, title="A"), await create_task(client, alice, title="B")
        a1 = await create_task(client, alice, title="a1", parent_id=a["id"])
        b1 = await create_task(client, alice, title="b1", parent_id=b["id"])

        # Each move alone is fine; together they would put A under B and B under A.
        answers = await asyncio.gather(
            move(client, alice, a["id"], parent_id=b1["id"]), move(client, alice, b["id"], parent_id=a1["id"])
        )

        assert sorted(answer.status_code for answer in answers) == [200, 422], [a.text for a in answers]
        for task in (a, b, a1, b1):
            above = await _ancestors(client, alice, task)
            assert task["id"] not in above
            assert len(above) < 5
        for task in (a, b):
            await client.delete(task_url(task["id"]), headers=alice)


async def test_two_concurrent_moves_cannot_nest_deeper_than_five_levels(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for _ in range(ROUNDS):
        x = await _chain(client, alice, 3)  # x1 - x2 - x3
        y1 = await create_task(client, alice, title="y1")
        y2 = await create_task(client, alice, title="y2", parent_id=y1["id"])
        z = await create_task(client, alice, title="z")

        # y1 under x3: five levels (x1 x2 x3 y1 y2); z under y2: three. Together z would be at level six.
        answers = await asyncio.gather(
            move(client, alice, y1["id"], parent_id=x[2]["id"]),
            move(client, alice, z["id"], parent_id=y2["id"]),
        )

        assert sorted(answer.status_code for answer in answers) == [200, 422], [a.text for a in answers]
        assert len(await _ancestors(client, alice, z)) < 5
        for task in (x[0], y1, z):
            await client.delete(task_url(task["id"]), headers=alice)
