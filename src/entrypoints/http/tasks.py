"""Routes for /api/v1/tasks, all of them (the collection, /stats, /bulk, then /{task_id}): parse,
call one use case, shape the answer."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Response, status

from application.queries import Sort
from application.tasks import (
    ActOnTasks,
    BulkAction,
    CreateTask,
    CreateTaskOnce,
    DeleteTask,
    GetTask,
    GetTaskStats,
    ListTasks,
    MoveTask,
    ReplaceTask,
    ToggleTask,
    UpdateTask,
)
from entrypoints.http.auth import Owner
from entrypoints.http.conditional import CONDITIONAL, Named, TaskId, answer, json_answer
from entrypoints.http.dependencies import provided
from entrypoints.http.errors import HTTP_METHODS
from entrypoints.http.idempotency import IDEMPOTENT_CREATION, IdempotencyKey
from entrypoints.http.problems import ProblemResponse, problem, problem_responses
from entrypoints.http.query import query_model
from entrypoints.http.schemas import (
    BULK_DESCRIPTION,
    StatsQuery,
    TaskBulk,
    TaskBulkPublic,
    TaskCreate,
    TaskListQuery,
    TaskMove,
    TaskPagePublic,
    TaskPublic,
    TaskReplace,
    TaskStatsPublic,
    TaskUpdate,
)

PREFIX = "/api/v1/tasks"
F = TypeVar("F", bound=Callable[..., Any])
router = APIRouter(prefix=PREFIX, tags=["tasks"], responses=problem_responses(400, 401, 422, 500, 503))

# Each route's use case, from the app's container (dependencies.py).
Creating = Annotated[CreateTask, Depends(provided(CreateTask))]
CreatingOnce = Annotated[CreateTaskOnce, Depends(provided(CreateTaskOnce))]
Listing = Annotated[ListTasks, Depends(provided(ListTasks))]
Counting = Annotated[GetTaskStats, Depends(provided(GetTaskStats))]
Acting = Annotated[ActOnTasks, Depends(provided(ActOnTasks))]
Getting = Annotated[GetTask, Depends(provided(GetTask))]
Updating = Annotated[UpdateTask, Depends(provided(UpdateTask))]
Replacing = Annotated[ReplaceTask, Depends(provided(ReplaceTask))]
Toggling = Annotated[ToggleTask, Depends(provided(ToggleTask))]
Deleting = Annotated[DeleteTask, Depends(provided(DeleteTask))]
Moving = Annotated[MoveTask, Depends(provided(MoveTask))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskPublic,
    responses=problem_responses(404),
    description=IDEMPOTENT_CREATION,
)
async def create_task(
    body: TaskCreate,
    owner: Owner,
    create: Creating,
    create_once: CreatingOnce,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    draft, destination = body.to_draft(), body.to_destination()
    if idempotency_key is None:
        task = await create(owner, draft, destination)
    else:
        task = await create_once(owner, draft, idempotency_key, destination)
    return answer(task, status_code=status.HTTP_201_CREATED, location=f"{PREFIX}/{task.id}")


@router.get("", response_model=TaskPagePublic, responses=problem_responses(404))
async def list_tasks(
    owner: Owner,
    list_page: Listing,
    query: Annotated[TaskListQuery, Depends(query_model(TaskListQuery))],
) -> Response:
    page = await list_page(
        owner,
        completed=query.completed,
        priority=query.priority,
        tags=query.tag,
        q=query.q,
        due_before=query.due_before,
        due_after=query.due_after,
        overdue=query.overdue,
        sort=Sort.parse(query.sort),
        limit=query.limit,
        cursor=query.cursor,
        list_id=query.list_wanted,
        parent_id=query.parent_wanted,
        top_level=query.top_level,
    )
    return json_answer(
        TaskPagePublic(items=[TaskPublic.of(task) for task in page.items], next_cursor=page.next_cursor)
    )


# Fixed paths before /{task_id}, whose routes would otherwise take "stats" or "bulk" for an id;
# each answers 405 (not a 422 about the id) to the methods it lacks.


@router.get("/stats", response_model=TaskStatsPublic, responses=problem_responses(404))
async def task_stats(
    owner: Owner, get_stats: Counting, query: Annotated[StatsQuery, Depends(query_model(StatsQuery))]
) -> TaskStatsPublic:
    return TaskStatsPublic.of(await get_stats(owner, list_id=query.list_wanted))


@router.post(
    "/bulk", response_model=TaskBulkPublic, responses=problem_responses(404), description=BULK_DESCRIPTION
)
async def act_on_tasks(body: TaskBulk, owner: Owner, act: Acting) -> TaskBulkPublic:
    return TaskBulkPublic(
        affected=await act(owner, BulkAction(body.action), body.ids, list_id=body.list_wanted)
    )


def _refuse_other_methods(path: str, *allowed: str) -> None:
    """Answer every method but `allowed` on `path` with 405 and an Allow naming just those (an
    Allow worked out from the routing table would list the /{task_id} routes' methods too)."""
    allowed = (*allowed, "HEAD") if "GET" in allowed else allowed  # HEAD is GET without the body

    async def method_not_allowed() -> ProblemResponse:
        return problem(405, "Method Not Allowed", headers={"Allow": ", ".join(allowed)})

    method_not_allowed.allowed = allowed  # type: ignore[attr-defined]  # what a 405 on the path names
    others = [method for method in HTTP_METHODS if method not in allowed]
    router.add_api_route(path, method_not_allowed, methods=others, include_in_schema=False)


_refuse_other_methods("/stats", "GET")
_refuse_other_methods("/bulk", "POST")


@router.get("/{task_id}", response_model=TaskPublic, responses=problem_responses(404))
async def get_task(task_id: TaskId, owner: Owner, get: Getting) -> Response:
    return answer(await get(owner, task_id))


def _conditional(method: str, path: str = "/{task_id}", **options: Any) -> Callable[[F], F]:
    """A route that acts on the task named in its path, If-Match permitting."""
    options = {"response_model": TaskPublic, **options}
    return router.api_route(
        path, methods=[method], responses=problem_responses(404, 412), description=CONDITIONAL, **options
    )


@_conditional("PATCH")
async def update_task(named: Named, body: TaskUpdate, update: Updating) -> Response:
    changes, destination = body.to_changes(), body.to_destination()
    return answer(
        await update(named.owner, named.task_id, changes, if_match=named.versions, destination=destination)
    )


@_conditional("PUT")
async def replace_task(named: Named, body: TaskReplace, replace: Replacing) -> Response:
    return answer(await replace(named.owner, named.task_id, body.to_draft(), if_match=named.versions))


@_conditional("POST", "/{task_id}/toggle")
async def toggle_task(named: Named, toggle: Toggling) -> Response:
    return answer(await toggle(named.owner, named.task_id, if_match=named.versions))


@_conditional("POST", "/{task_id}/move")
async def move_task(named: Named, body: TaskMove, move: Moving) -> Response:
    """Move the task, its subtasks with it, to another list, under another parent, or elsewhere
    among its siblings. Only the task's own position is written (its siblings keep theirs)."""
    return answer(await move(named.owner, named.task_id, body.to_destination(), if_match=named.versions))


@_conditional("DELETE", response_model=None, status_code=204, response_class=Response)
async def delete_task(named: Named, delete: Deleting) -> None:
    await delete(named.owner, named.task_id, if_match=named.versions)
