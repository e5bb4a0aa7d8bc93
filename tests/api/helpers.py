"""What the API tests share: the tasks path, a way to make a task, and the problem shape."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx

TASKS = "/api/v1/tasks"
PROBLEM_MEDIA_TYPE = "application/problem+json"
TASK_FIELDS = {
    "id",
    "title",
    "description",
    "completed",
    "priority",
    "tags",
    "due_at",
    "recurrence",
    "created_at",
    "updated_at",
    "completed_at",
    "version",
    "list_id",
    "parent_id",
    "position",
}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def task_url(task_id: str) -> str:
    return f"{TASKS}/{task_id}"


async def create_task(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    """Create a task through the API (title defaulted) and return its JSON."""
    response = await client.post(TASKS, json={"title": "Write the report", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this status; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for member in ("type", "title", "detail"):
        assert isinstance(body[member], str)
        assert body[member]
    return body


def assert_invalid(response: httpx.Response, field: str | None = None) -> dict[str, Any]:
    """A 422 problem listing what was wrong, naming `field` when given; a request the HTTP layer
    refused names its first error in `detail` too."""
    body = assert_problem(response, 422)
    errors = body["errors"]
    assert errors
    for error in errors:
        assert set(error) == {"loc", "msg", "type"}
        assert isinstance(error["loc"], list)
        assert isinstance(error["msg"], str)
        assert isinstance(error["type"], str)
    if body["detail"].startswith("The request is not valid"):
        where = ".".join(str(part) for part in errors[0]["loc"])
        assert body["detail"].startswith(f"The request is not valid: {where}: "), body["detail"]
    if field is not None:
        assert any(field in error["loc"] for error in errors), errors
    return body


def utc_time(text: str) -> datetime:
    """Parse an RFC 3339 time the API sent, checking it carries a zero offset."""
    assert _RFC3339.match(text), text
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() == timedelta(0)
    return parsed
