"""Routes for /api/{user_id}/tasks: the v1 task routes at the paths of the common todo full-stack spec."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response, status

from application.tasks import CreateTask, DeleteTask, GetTask, ListTasks, ToggleTask, UpdateTask
from domain.errors import TaskNotFound
from entrypoints.http.auth import Owner

# The v1 routes' own conditional-request handling, so both families read If-Match alike.
from entrypoints.http.conditional import CONDITIONAL, IfMatch, TaskId, accepted_versions, answer
from entrypoints.http.dependencies import provided
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas import TaskCreate, TaskPublic, TaskUpdate

PREFIX = "/api/{user_id}/tasks"
LIST_LIMIT = 100  # v1's largest page: a plain array has no cursor, so this is all one answer holds

UserId = Annotated[str, Path(description="The caller's own id, the token's `sub`; any other id answers 404.")]


async def _caller_is_named_in_path(user_id: UserId, owner: Owner) -> None:
    """Another user's path is as missing as another user's task, and nothing has run yet."""
    if user_id != owner:
        raise TaskNotFound(user_id)


router = APIRouter(
    prefix=PREFIX,
    tags=["compatibility"],
    # On the router, not on each route, so no route here can be reached without the check.
    dependencies=[Depends(_caller_is_named_in_path)],
    responses=problem_responses(400, 401, 404, 422, 500, 503),
    include_in_schema=True,
)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TaskPublic)
async def create_task(
    body: TaskCreate,
    owner: Owner,
    create: Annotated[CreateTask, Depends(provided(CreateTask))],
) -> Response:
    task = await create(owner, body.to_draft())
    # The compatibility URL, so a client that knows only these routes can follow it.
    location = f"/api/{quote(owner, safe='')}/tasks/{task.id}"
    return answer(task, status_code=status.HTTP_201_CREATED, location=location)


@router.get(
    "",
    response_model=list[TaskPublic],
    description=f"The caller's newest tasks first, at most `limit` (up to {LIST_LIMIT}), as a plain array.",
)
async def list_tasks(
    owner: Owner,
    list_page: Annotated[ListTasks, Depends(provided(ListTasks))],
    completed: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = LIST_LIMIT,
) -> list[TaskPublic]:
    page = await list_page(owner, completed=completed, limit=limit)
    return [TaskPublic.of(task) for task in page.items]


@router.get("/{task_id}", response_model=TaskPublic)
async def get_task(
    task_id: TaskId,
    owner: Owner,
    get: Annotated[GetTask, Depends(provided(GetTask))],
) -> Response:
    return answer(await get(owner, task_id))


@router.put(
    "/{task_id}",
    response_model=TaskPublic,
    responses=problem_responses(412),
    description=(
        "Changes the fields sent and keeps the others: frontends written to the todo spec send "
        f"only what the user edited (often title and description). {CONDITIONAL}"
    ),
)
async def update_task(
    task_id: TaskId,
    body: TaskUpdate,
    owner: Owner,
    update: Annotated[UpdateTask, Depends(provided(UpdateTask))],
    if_match: IfMatch = "*",
) -> Response:
    task = await update(owner, task_id, body.to_changes(), if_match=accepted_versions(if_match))
    return answer(task)


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(412),
    description=CONDITIONAL,
)
async def delete_task(
    task_id: TaskId,
    owner: Owner,
    delete: Annotated[DeleteTask, Depends(provided(DeleteTask))],
    if_match: IfMatch = "*",
) -> None:
    await delete(owner, task_id, if_match=accepted_versions(if_match))


@router.patch(
    "/{task_id}/complete",
    response_model=TaskPublic,
    responses=problem_responses(412),
    description=f"Flips `completed`, as `POST /api/v1/tasks/{{id}}/toggle` does. {CONDITIONAL}",
)
async def toggle_completion(
    task_id: TaskId,
    owner: Owner,
    toggle: Annotated[ToggleTask, Depends(provided(ToggleTask))],
    if_match: IfMatch = "*",
) -> Response:
    return answer(await toggle(owner, task_id, if_match=accepted_versions(if_match)))
