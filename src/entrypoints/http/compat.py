"""Routes for /api/{user_id}/tasks: the v1 task routes at the paths of the common todo full-stack spec;
only creation (its Location) and the list (a plain array) differ from v1."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response, status

from domain.errors import TaskNotFound
from entrypoints.http import tasks as v1
from entrypoints.http.auth import Owner
from entrypoints.http.conditional import CONDITIONAL, answer
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas import TaskCreate, TaskPublic

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
async def create_task(body: TaskCreate, owner: Owner, create: v1.Creating) -> Response:
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
    list_page: v1.Listing,
    completed: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = LIST_LIMIT,
) -> list[TaskPublic]:
    page = await list_page(owner, completed=completed, limit=limit)
    return [TaskPublic.of(task) for task in page.items]


# Where the behaviour is v1's, the route is v1's own function, at this family's path.
router.add_api_route("/{task_id}", v1.get_task, methods=["GET"], response_model=TaskPublic)
router.add_api_route(
    "/{task_id}",
    v1.update_task,
    methods=["PUT"],
    response_model=TaskPublic,
    responses=problem_responses(412),
    description=(
        "Changes the fields sent and keeps the others: frontends written to the todo spec send "
        f"only what the user edited (often title and description). {CONDITIONAL}"
    ),
)
router.add_api_route(
    "/{task_id}",
    v1.delete_task,
    methods=["DELETE"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(412),
    description=CONDITIONAL,
)
router.add_api_route(
    "/{task_id}/complete",
    v1.toggle_task,
    methods=["PATCH"],
    name="toggle_completion",
    response_model=TaskPublic,
    responses=problem_responses(412),
    description=f"Flips `completed`, as `POST /api/v1/tasks/{{id}}/toggle` does. {CONDITIONAL}",
)
