"""Route for POST /api/v1/tasks/bulk: one action on many of the caller's tasks, all or nothing."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from application.tasks import ActOnTasks, BulkAction
from application.tasks.bulk import MAX_BULK_IDS
from entrypoints.http.auth import Owner
from entrypoints.http.dependencies import provided
from entrypoints.http.literal_paths import refuse_other_methods
from entrypoints.http.problems import problem_responses

# Included before the tasks router, whose /{task_id} routes would otherwise take "bulk" for an id.
router = APIRouter(
    prefix="/api/v1/tasks", tags=["tasks"], responses=problem_responses(400, 401, 422, 500, 503)
)

DESCRIPTION = (
    f"Complete, reopen or delete up to {MAX_BULK_IDS} of your tasks in one transaction. If any id is "
    "not one of your tasks, the answer is 404 whose `missing_ids` lists those ids, and nothing changes.\n\n"
    "`affected` counts the tasks that actually changed: every task deleted; for `complete` and "
    "`reopen`, the tasks whose state flipped (one already in the wanted state is left untouched and "
    "not counted). An id sent twice counts once. Completing a recurring task creates its next "
    "occurrence, as a toggle does; the new task is not counted."
)


class TaskBulk(BaseModel):
    """Body of POST /bulk: what to do, and to which of the caller's tasks."""

    model_config = ConfigDict(extra="forbid")

    action: BulkAction
    ids: Annotated[list[UUID], Field(min_length=1, max_length=MAX_BULK_IDS)]


class TaskBulkPublic(BaseModel):
    """What a bulk action did: how many tasks it changed."""

    affected: int


@router.post(
    "/bulk", response_model=TaskBulkPublic, responses=problem_responses(404), description=DESCRIPTION
)
async def act_on_tasks(
    body: TaskBulk,
    owner: Owner,
    act: Annotated[ActOnTasks, Depends(provided(ActOnTasks))],
) -> TaskBulkPublic:
    return TaskBulkPublic(affected=await act(owner, body.action, body.ids))


refuse_other_methods(router, "/bulk", "POST")
