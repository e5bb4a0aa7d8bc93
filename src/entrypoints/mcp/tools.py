"""The MCP tools: the five of the todo full-stack spec (phase III), with the names, arguments and
answers that agents written for it use, and the richer arguments of the REST API beside them. They
call the same use cases as the REST routes, for the owner `Identify` names: no SQL of their own.

Errors are tool errors (`isError`) in the REST problems' words (`said`); anything else is the SDK's
"Error executing tool", with nothing of the error itself."""

import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Literal, TypeVar
from uuid import UUID

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, TypeAdapter

from application.errors import ExpiredToken, InfrastructureError, InvalidToken, TransientConflict
from application.tasks import CreateTask, DeleteTask, GetTask, ListTasks, UpdateTask
from application.tasks.listing import MAX_OFFSET
from application.tasks.placing import STAY, Destination
from domain.errors import (
    DomainError,
    InvalidField,
    InvalidList,
    InvalidPlacement,
    InvalidTask,
    TaskNotFound,
    VersionMismatch,
)
from domain.task import UNSET, Priority, Recurrence, Task, TaskChanges, TaskDraft, Unset
from entrypoints.container import Container
from entrypoints.http.compat.shapes import LIST_LIMIT, SearchText
from entrypoints.http.errors import EXPIRED_TOKEN_DETAIL, FIXED_PROBLEMS, INVALID_TOKEN_DETAIL
from entrypoints.http.schemas import Description, Tag, Tags, Time, Title

# Who calls: the owner the request's verified token names (over HTTP), or TASKS_TOKEN's (stdio).
Identify = Callable[[Context], Awaitable[str]]

INSTRUCTIONS = (
    "The user's own tasks: add, list, complete, update and delete them. Task ids are UUID strings, "
    "as add_task and list_tasks give them. user_id may be left out: the caller is the token's user."
)
UserId = Annotated[
    str | None,
    Field(
        description="The caller's own id, as the todo spec passes it; may be left out. Any other: not found."
    ),
]
TaskId = Annotated[UUID, Field(description="The task's id, as add_task or list_tasks gave it.")]
Status = Literal["all", "pending", "completed"]
# What update_task can empty (a null argument is one left out, so it cannot say "empty this").
Clearable = Literal["description", "due_at", "recurrence"]
T = TypeVar("T")
_DELETE_ATTEMPTS = 3
_COMPLETED: dict[str, bool | None] = {"all": None, "pending": False, "completed": True}


class TaskOutcome(BaseModel):
    """What a tool did to one task."""

    task_id: str
    status: Literal["created", "completed", "deleted", "updated"]
    title: str


class TaskLine(BaseModel):
    """One task in a listing: the spec's `id`, `title` and `completed`, and the rest of what it holds."""

    id: str
    title: str
    completed: bool
    description: str | None
    priority: Priority
    tags: list[str]
    due_at: datetime | None
    recurrence: Recurrence | None
    list_id: str | None

    @classmethod
    def of(cls, task: Task) -> "TaskLine":
        return cls(
            id=str(task.id),
            title=task.title,
            completed=task.completed,
            description=task.description,
            priority=task.priority,
            tags=list(task.tags),
            due_at=task.due_at,
            recurrence=task.recurrence,
            list_id=None if task.list_id is None else str(task.list_id),
        )


_LINES = TypeAdapter(list[TaskLine])


def server_for(container: Container, identify: Identify, version: str) -> MCPServer:
    """The tools over the container's use cases."""
    use_cases = container.use_cases
    return build_server(
        identify,
        create=use_cases.create_task(),
        list_page=use_cases.list_tasks(),
        get=use_cases.get_task(),
        update=use_cases.update_task(),
        delete=use_cases.delete_task(),
        version=version,
    )


def build_server(
    identify: Identify,
    *,
    create: CreateTask,
    list_page: ListTasks,
    get: GetTask,
    update: UpdateTask,
    delete: DeleteTask,
    version: str,
) -> MCPServer:
    server = MCPServer("tasks-service", instructions=INSTRUCTIONS, version=version, log_level="WARNING")

    async def caller(ctx: Context, user_id: str | None) -> str:
        owner = await identify(ctx)
        if user_id is not None and user_id != owner:
            raise TaskNotFound(user_id)  # another user's tasks are as missing as another user's task
        return owner

    def outcome(task: Task, status: Literal["created", "completed", "deleted", "updated"]) -> TaskOutcome:
        return TaskOutcome(task_id=str(task.id), status=status, title=task.title)

    @server.tool(annotations=ToolAnnotations(destructiveHint=False, idempotentHint=False))
    async def add_task(
        ctx: Context,
        title: Title,
        description: Description | None = None,
        user_id: UserId = None,
        due_at: Annotated[Time | None, Field(description="RFC 3339, with an offset.")] = None,
        priority: Priority = Priority.MEDIUM,
        tags: Tags = [],  # noqa: B006 (copied by pydantic for each call)
        recurrence: Recurrence | None = None,
        list_id: Annotated[
            UUID | None, Field(description="One of the user's lists; left out: the Inbox.")
        ] = None,
    ) -> TaskOutcome:
        """Add a task for the user; it goes last in the Inbox, or in the list named."""
        with said():
            owner = await caller(ctx, user_id)
            draft = TaskDraft(
                title=title,
                description=description,
                priority=priority,
                tags=tuple(tags),
                due_at=due_at,
                recurrence=recurrence,
            )
            task = await create(owner, draft, STAY if list_id is None else Destination(list_id=list_id))
            return outcome(task, "created")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    async def list_tasks(
        ctx: Context,
        status: Status = "all",
        user_id: UserId = None,
        search: Annotated[SearchText | None, Field(description="Words in the title or description.")] = None,
        tag: Annotated[Tag | None, Field(description="Only tasks with this tag.")] = None,
        due_before: Time | None = None,
        due_after: Time | None = None,
        overdue: Annotated[bool | None, Field(description="Only tasks past due and not completed.")] = None,
        list_id: Annotated[UUID | None, Field(description="Only this list's tasks.")] = None,
        limit: Annotated[
            int, Field(ge=1, le=LIST_LIMIT, description="At most this many tasks.")
        ] = LIST_LIMIT,
        offset: Annotated[
            int,
            Field(ge=0, le=MAX_OFFSET, description="Skip this many first: to see the tasks past `limit`."),
        ] = 0,
    ) -> Annotated[CallToolResult, list[TaskLine]]:
        """The user's tasks, newest first; at most `limit`, from `offset`."""
        with said():
            owner = await caller(ctx, user_id)
            page = await list_page(
                owner,
                completed=_COMPLETED[status],
                q=search,
                tags=() if tag is None else (tag,),
                due_before=due_before,
                due_after=due_after,
                overdue=overdue,
                limit=limit,
                offset=offset,
                list_id=given(list_id),
            )
            lines = _LINES.dump_python([TaskLine.of(task) for task in page.items], mode="json")
            # As the spec's array, in one text block (the SDK would give each task a block of its own).
            text = json.dumps(lines, ensure_ascii=False)
            return CallToolResult(
                content=[TextContent(type="text", text=text)], structured_content={"result": lines}
            )

    @server.tool(annotations=ToolAnnotations(destructiveHint=False, idempotentHint=True))
    async def complete_task(ctx: Context, task_id: TaskId, user_id: UserId = None) -> TaskOutcome:
        """Mark a task completed (completing a recurring task brings its next occurrence)."""
        with said():
            task = await update(await caller(ctx, user_id), task_id, TaskChanges(completed=True))
            return outcome(task, "completed")

    @server.tool(annotations=ToolAnnotations(destructiveHint=True, idempotentHint=True))
    async def delete_task(ctx: Context, task_id: TaskId, user_id: UserId = None) -> TaskOutcome:
        """Delete a task, and its subtasks with it."""
        with said():
            owner = await caller(ctx, user_id)
            for _ in range(_DELETE_ATTEMPTS):
                task = await get(owner, task_id)
                try:
                    # Only the version read, so that the title answered is the deleted task's.
                    await delete(owner, task_id, if_match=(task.version,))
                except VersionMismatch:
                    continue  # changed in between: read it again
                return outcome(task, "deleted")
            raise TransientConflict("the task kept changing while it was being deleted")

    @server.tool(annotations=ToolAnnotations(destructiveHint=False, idempotentHint=True))
    async def update_task(
        ctx: Context,
        task_id: TaskId,
        title: Title | None = None,
        description: Description | None = None,
        user_id: UserId = None,
        due_at: Annotated[Time | None, Field(description="RFC 3339, with an offset.")] = None,
        priority: Priority | None = None,
        tags: Annotated[Tags | None, Field(description="The task's tags, all of them.")] = None,
        recurrence: Recurrence | None = None,
        clear: Annotated[
            list[Clearable], Field(description="Fields to empty: description, due_at, recurrence.")
        ] = [],  # noqa: B006 (copied by pydantic for each call)
    ) -> TaskOutcome:
        """Change the fields given, and empty those named in `clear`; the others stay as they are."""
        with said():
            values = {"description": description, "due_at": due_at, "recurrence": recurrence}
            for name in clear:
                if values[name] is not None:
                    raise InvalidTask(name, "is both given and to be cleared")
            changes = TaskChanges(
                title=given(title),
                description=None if "description" in clear else given(description),
                due_at=None if "due_at" in clear else given(due_at),
                priority=given(priority),
                tags=UNSET if tags is None else tuple(tags),
                recurrence=None if "recurrence" in clear else given(recurrence),
            )
            task = await update(await caller(ctx, user_id), task_id, changes)
            return outcome(task, "updated")

    return server


def given(value: T | None) -> T | Unset:
    """An argument left out (null) changes nothing."""
    return UNSET if value is None else value


@contextmanager
def said() -> Iterator[None]:
    """An error the REST API answers as a problem becomes a tool error in the same words."""
    try:
        yield
    except (DomainError, InfrastructureError) as error:
        raise ToolError(_words(error)) from error


def _words(error: DomainError | InfrastructureError) -> str:
    for kind in type(error).__mro__:
        fixed = FIXED_PROBLEMS.get(kind)
        if fixed is not None:
            return fixed.detail
    if isinstance(error, InvalidToken):
        return EXPIRED_TOKEN_DETAIL if isinstance(error, ExpiredToken) else INVALID_TOKEN_DETAIL
    if isinstance(error, InvalidField):
        subject = "list" if isinstance(error, InvalidList) else "task"
        opening = (
            "The task cannot go there"
            if isinstance(error, InvalidPlacement)
            else f"The {subject} is not valid"
        )
        return f"{opening}: {error.field} {error.message}"
    return "The request cannot be done."
