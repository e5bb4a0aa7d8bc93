"""Routes for /api/v1/tasks, all of them (the collection, /stats, /bulk, then /{task_id}): parse,
call one use case, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from application.queries import Sort
from application.tasks import (
    ActOnTasks,
    CreateTask,
    CreateTaskOnce,
    DeleteTask,
    GetTask,
    GetTaskStats,
    ListTasks,
    ReplaceTask,
    ToggleTask,
    UpdateTask,
)
from entrypoints.http.auth import Owner
from entrypoints.http.conditional import CONDITIONAL, IfMatch, TaskId, accepted_versions, answer, json_answer
from entrypoints.http.dependencies import provided
from entrypoints.http.errors import HTTP_METHODS
from entrypoints.http.idempotency import IDEMPOTENT_CREATION, IdempotencyKey
from entrypoints.http.problems import ProblemResponse, problem, problem_responses
from entrypoints.http.query import query_model
from entrypoints.http.schemas import (
    BULK_DESCRIPTION,
    TaskBulk,
    TaskBulkPublic,
    TaskCreate,
    TaskListQuery,
    TaskPagePublic,
    TaskPublic,
    TaskReplace,
    TaskStatsPublic,
    TaskUpdate,
)

PREFIX = "/api/v1/tasks"
router = APIRouter(prefix=PREFIX, tags=["tasks"], responses=problem_responses(400, 401, 422, 500, 503))


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=TaskPublic, description=IDEMPOTENT_CREATION
)
async def create_task(
    body: TaskCreate,
    owner: Owner,
    create: Annotated[CreateTask, Depends(provided(CreateTask))],
    create_once: Annotated[CreateTaskOnce, Depends(provided(CreateTaskOnce))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    draft = body.to_draft()
    if idempotency_key is None:
        task = await create(owner, draft)
    else:
        task = await create_once(owner, draft, idempotency_key)
    return answer(task, status_code=status.HTTP_201_CREATED, location=f"{PREFIX}/{task.id}")


@router.get("", response_model=TaskPagePublic)
async def list_tasks(
    owner: Owner,
    list_page: Annotated[ListTasks, Depends(provided(ListTasks))],
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
    )
    return json_answer(
        TaskPagePublic(items=[TaskPublic.of(task) for task in page.items], next_cursor=page.next_cursor)
    )


# Fixed paths before /{task_id}, whose routes would otherwise take "stats" or "bulk" for an id;
# each answers 405 (not a 422 about the id) to the methods it lacks.


@router.get("/stats", response_model=TaskStatsPublic)
async def task_stats(
    owner: Owner,
    get_stats: Annotated[GetTaskStats, Depends(provided(GetTaskStats))],
) -> TaskStatsPublic:
    return TaskStatsPublic.of(await get_stats(owner))


@router.post(
    "/bulk", response_model=TaskBulkPublic, responses=problem_responses(404), description=BULK_DESCRIPTION
)
async def act_on_tasks(
    body: TaskBulk,
    owner: Owner,
    act: Annotated[ActOnTasks, Depends(provided(ActOnTasks))],
) -> TaskBulkPublic:
    return TaskBulkPublic(affected=await act(owner, body.action, body.ids))


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
async def get_task(
    task_id: TaskId,
    owner: Owner,
    get: Annotated[GetTask, Depends(provided(GetTask))],
) -> Response:
    return answer(await get(owner, task_id))


@router.patch(
    "/{task_id}",
    response_model=TaskPublic,
    responses=problem_responses(404, 412),
    description=CONDITIONAL,
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


@router.put(
    "/{task_id}",
    response_model=TaskPublic,
    responses=problem_responses(404, 412),
    description=CONDITIONAL,
)
async def replace_task(
    task_id: TaskId,
    body: TaskReplace,
    owner: Owner,
    replace: Annotated[ReplaceTask, Depends(provided(ReplaceTask))],
    if_match: IfMatch = "*",
) -> Response:
    task = await replace(owner, task_id, body.to_draft(), if_match=accepted_versions(if_match))
    return answer(task)


@router.post(
    "/{task_id}/toggle",
    response_model=TaskPublic,
    responses=problem_responses(404, 412),
    description=CONDITIONAL,
)
async def toggle_task(
    task_id: TaskId,
    owner: Owner,
    toggle: Annotated[ToggleTask, Depends(provided(ToggleTask))],
    if_match: IfMatch = "*",
) -> Response:
    return answer(await toggle(owner, task_id, if_match=accepted_versions(if_match)))


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(404, 412),
    description=CONDITIONAL,
)
async def delete_task(
    task_id: TaskId,
    owner: Owner,
    delete: Annotated[DeleteTask, Depends(provided(DeleteTask))],
    if_match: IfMatch = "*",
) -> None:
    await delete(owner, task_id, if_match=accepted_versions(if_match))
