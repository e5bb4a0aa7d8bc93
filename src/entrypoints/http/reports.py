"""Routes for counts over the caller's tasks: GET /api/v1/tasks/stats and GET /api/v1/tags."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from application.summaries import TagCount, TaskStats
from application.tasks import GetTaskStats, ListTags
from entrypoints.http.auth import Owner
from entrypoints.http.dependencies import provided
from entrypoints.http.literal_paths import refuse_other_methods
from entrypoints.http.problems import problem_responses

_PROBLEMS = problem_responses(400, 401, 422, 500, 503)
# Included before the tasks router, whose /{task_id} routes would otherwise take "stats" for an id.
stats = APIRouter(prefix="/api/v1/tasks", tags=["tasks"], responses=_PROBLEMS)
tags = APIRouter(prefix="/api/v1/tags", tags=["tags"], responses=_PROBLEMS)


class TaskStatsPublic(BaseModel):
    """Counts over all the caller's tasks; `overdue` ones are due in the past and not completed."""

    total: int
    completed: int
    pending: int
    overdue: int

    @classmethod
    def of(cls, counts: TaskStats) -> "TaskStatsPublic":
        return cls(
            total=counts.total, completed=counts.completed, pending=counts.pending, overdue=counts.overdue
        )


class TagPublic(BaseModel):
    """One of the caller's tags and how many of their tasks carry it."""

    name: str
    count: int

    @classmethod
    def of(cls, tag: TagCount) -> "TagPublic":
        return cls(name=tag.name, count=tag.count)


@stats.get("/stats", response_model=TaskStatsPublic)
async def task_stats(
    owner: Owner,
    get_stats: Annotated[GetTaskStats, Depends(provided(GetTaskStats))],
) -> TaskStatsPublic:
    return TaskStatsPublic.of(await get_stats(owner))


@tags.get("", response_model=list[TagPublic], description="Most used first; ties in name order.")
async def list_tags(
    owner: Owner,
    list_all: Annotated[ListTags, Depends(provided(ListTags))],
) -> list[TagPublic]:
    return [TagPublic.of(tag) for tag in await list_all(owner)]


refuse_other_methods(stats, "/stats", "GET")
