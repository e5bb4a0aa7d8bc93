"""Routes for /api/v1/tasks: parse, call one use case, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from application.queries import Sort
from application.tasks import (
    CreateTask,
    CreateTaskOnce,
    DeleteTask,
    GetTask,
    ListTasks,
    ReplaceTask,
    ToggleTask,
    UpdateTask,
)
from entrypoints.http.auth import Owner
from entrypoints.http.conditional import CONDITIONAL, IfMatch, TaskId, accepted_versions, answer, json_answer
from entrypoints.http.dependencies import provided
from entrypoints.http.idempotency import IDEMPOTENT_CREATION, IdempotencyKey
from entrypoints.http.problems import problem_responses
from entrypoints.http.query import query_model
from entrypoints.http.schemas import (
    TaskCreate,
    TaskListQuery,
    TaskPagePublic,
    TaskPublic,
    TaskReplace,
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
    responses=problem_responses(404, 409, 412),
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
    responses=problem_responses(404, 409, 412),
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
    responses=problem_responses(404, 409, 412),
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
