"""The MCP tools over the in-memory adapters, through the SDK's in-process client: what no served
process can be made to show on demand (a task changed between delete_task's read and its delete),
and the words each error becomes. The tools over real HTTP and stdio: tests/api/test_mcp.py."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from mcp import Client
from mcp.server.mcpserver import Context
from mcp.types import TextContent

from application.errors import DatabaseUnavailable, ExpiredToken, TransientConflict
from application.tasks import CreateTask, DeleteTask, GetTask, ListTasks, UpdateTask
from domain.errors import InvalidTask, ListNotFound, TaskNotFound
from domain.task import Recurrence, TaskChanges, TaskDraft
from entrypoints.mcp.tools import build_server, said


async def alice(_: Context) -> str:
    return "alice"


class ChangedFirst:
    """DeleteTask, but the task is renamed just before the first `times` deletes (as by another
    client): each of those finds another version than the one named."""

    def __init__(self, delete: DeleteTask, update: UpdateTask, times: int) -> None:
        self._delete, self._update, self._left = delete, update, times

    async def __call__(
        self, owner_id: str, task_id: UUID, *, if_match: Collection[int] | None = None
    ) -> None:
        if self._left:
            self._left -= 1
            await self._update(owner_id, task_id, TaskChanges(title=f"Renamed {self._left}"))
        await self._delete(owner_id, task_id, if_match=if_match)


def server_with(
    create: CreateTask, list_tasks: ListTasks, get: GetTask, update: UpdateTask, delete: Any
) -> Any:
    return build_server(
        alice, create=create, list_page=list_tasks, get=get, update=update, delete=delete, version="test"
    )


async def test_delete_task_answers_with_the_title_of_the_version_it_deleted(
    create: CreateTask, list_tasks: ListTasks, get: GetTask, update: UpdateTask, delete: DeleteTask
) -> None:
    task = await create("alice", TaskDraft(title="Buy milk"))
    server = server_with(create, list_tasks, get, update, ChangedFirst(delete, update, times=1))

    async with Client(server) as client:
        result = await client.call_tool("delete_task", {"task_id": str(task.id)})

    assert not result.is_error
    assert result.structured_content == {"task_id": str(task.id), "status": "deleted", "title": "Renamed 0"}
    with pytest.raises(TaskNotFound):
        await get("alice", task.id)


async def test_delete_task_gives_up_on_a_task_that_keeps_changing_and_leaves_it(
    create: CreateTask, list_tasks: ListTasks, get: GetTask, update: UpdateTask, delete: DeleteTask
) -> None:
    task = await create("alice", TaskDraft(title="Buy milk"))
    server = server_with(create, list_tasks, get, update, ChangedFirst(delete, update, times=3))

    async with Client(server) as client:
        result = await client.call_tool("delete_task", {"task_id": str(task.id)})

    assert result.is_error
    [content] = result.content
    assert isinstance(content, TextContent)
    assert content.text.endswith(
        "The database is busy with other changes; nothing was changed. Try again shortly."
    )
    assert (await get("alice", task.id)).title == "Renamed 0"


async def test_update_task_empties_the_fields_named_in_clear_and_keeps_the_rest(
    create: CreateTask, list_tasks: ListTasks, get: GetTask, update: UpdateTask, delete: DeleteTask
) -> None:
    due = datetime(2030, 1, 1, 9, tzinfo=UTC)
    draft = TaskDraft(title="Pay rent", description="By transfer", due_at=due, recurrence=Recurrence.MONTHLY)
    task = await create("alice", draft)
    server = server_with(create, list_tasks, get, update, delete)

    async with Client(server) as client:
        cleared = await client.call_tool(
            "update_task", {"task_id": str(task.id), "clear": ["due_at", "recurrence"]}
        )
        both = await client.call_tool(
            "update_task", {"task_id": str(task.id), "description": "Cash", "clear": ["description"]}
        )
        unknown = await client.call_tool("update_task", {"task_id": str(task.id), "clear": ["title"]})

    assert not cleared.is_error
    now = await get("alice", task.id)
    assert (now.due_at, now.recurrence) == (None, None)
    assert (now.title, now.description) == ("Pay rent", "By transfer")
    assert both.is_error
    [said_of_both] = both.content
    assert isinstance(said_of_both, TextContent)
    assert said_of_both.text.endswith("The task is not valid: description is both given and to be cleared")
    assert unknown.is_error
    assert (await get("alice", task.id)).description == "By transfer"


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (TaskNotFound(UUID(int=1)), "No such task."),
        (ListNotFound(UUID(int=1)), "No such list."),
        (InvalidTask("title", "must not be blank"), "The task is not valid: title must not be blank"),
        (ExpiredToken("exp"), "The access token expired; get a new one."),
        (
            TransientConflict("lost"),
            "The database is busy with other changes; nothing was changed. Try again shortly.",
        ),
        (
            DatabaseUnavailable("down"),
            "The database is not available right now; nothing was changed. Try again shortly.",
        ),
    ],
)
def test_an_error_the_rest_api_answers_becomes_a_tool_error_in_its_words(
    error: Exception, words: str
) -> None:
    from mcp.server.mcpserver.exceptions import ToolError  # noqa: PLC0415

    with pytest.raises(ToolError) as raised, said():
        raise error

    assert str(raised.value) == words
    assert raised.value.__cause__ is error


async def test_any_other_error_reaches_the_client_as_no_more_than_the_tools_name(
    create: CreateTask, list_tasks: ListTasks, update: UpdateTask, delete: DeleteTask
) -> None:
    async def broken_get(owner_id: str, task_id: UUID) -> Any:
        raise RuntimeError("cannot reach postgresql://app:hunter2@db.internal/tasks")

    server = server_with(create, list_tasks, broken_get, update, delete)  # type: ignore[arg-type]

    async with Client(server) as client:
        result = await client.call_tool("delete_task", {"task_id": str(UUID(int=7))})

    assert result.is_error
    [content] = result.content
    assert isinstance(content, TextContent)
    assert content.text == "Error executing tool delete_task"
