"""A first flow through the real app: create, read, list, toggle, delete."""

import httpx


async def test_a_created_task_can_be_read_listed_toggled_and_deleted(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await client.post("/api/v1/tasks", json={"title": " Buy milk "}, headers=alice)

    assert created.status_code == 201, created.text
    task = created.json()
    assert task["title"] == "Buy milk"
    assert created.headers["Location"] == f"/api/v1/tasks/{task['id']}"
    assert created.headers["ETag"] == '"1"'
    fetched = await client.get(f"/api/v1/tasks/{task['id']}", headers=alice)
    assert fetched.json() == task
    listed = await client.get("/api/v1/tasks", headers=alice)
    assert listed.json() == {"items": [task], "next_cursor": None}
    toggled = await client.post(f"/api/v1/tasks/{task['id']}/toggle", headers=alice)
    assert toggled.json()["completed"] is True
    assert toggled.json()["version"] == 2
    deleted = await client.delete(f"/api/v1/tasks/{task['id']}", headers=alice)
    assert deleted.status_code == 204
    gone = await client.get(f"/api/v1/tasks/{task['id']}", headers=alice)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
