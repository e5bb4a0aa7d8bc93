"""Concurrent writers on one task: none is lost, and If-Match lets exactly one through."""

import asyncio
from collections import Counter

import httpx


async def _a_task(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post("/api/v1/tasks", json={"title": "contended"}, headers=headers)
    return str(response.json()["id"])


async def test_concurrent_creates_all_succeed(client: httpx.AsyncClient, alice: dict[str, str]) -> None:
    answers = await asyncio.gather(
        *(client.post("/api/v1/tasks", json={"title": f"task {n}"}, headers=alice) for n in range(30))
    )

    assert Counter(answer.status_code for answer in answers) == {201: 30}
    listed = await client.get("/api/v1/tasks", params={"limit": 100}, headers=alice)
    assert len(listed.json()["items"]) == 30


async def test_concurrent_unconditional_changes_all_land_one_version_each(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task_id = await _a_task(client, alice)

    answers = await asyncio.gather(
        *(
            client.patch(f"/api/v1/tasks/{task_id}", json={"description": f"edit {n}"}, headers=alice)
            for n in range(8)
        )
    )

    assert Counter(answer.status_code for answer in answers) == {200: 8}
    final = (await client.get(f"/api/v1/tasks/{task_id}", headers=alice)).json()
    assert final["version"] == 1 + 8
    assert sorted(answer.json()["version"] for answer in answers) == list(range(2, 10))


async def test_concurrent_changes_with_the_same_if_match_let_exactly_one_through(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    task_id = await _a_task(client, alice)
    conditional = {**alice, "If-Match": '"1"'}

    answers = await asyncio.gather(
        *(
            client.patch(f"/api/v1/tasks/{task_id}", json={"title": f"writer {n}"}, headers=conditional)
            for n in range(20)
        )
    )

    assert Counter(answer.status_code for answer in answers) == {200: 1, 412: 19}
    winner = next(answer.json() for answer in answers if answer.status_code == 200)
    assert (await client.get(f"/api/v1/tasks/{task_id}", headers=alice)).json() == winner
    assert winner["version"] == 2
