"""The routes of the todo full-stack clients, in the three families they call: `/api/{user_id}`,
`/api/users/{user_id}` and `/api` (owner from the token alone). One set of route functions serves
all three, over the v1 use cases, with the shapes of `shapes.py`."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Path, Request, Response, status
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, TypeAdapter
from starlette.convertors import StringConvertor, register_url_convertor

from application.tasks import TaskPage
from domain.errors import TaskNotFound
from domain.task import TaskChanges
from entrypoints.http import tags as v1_tags
from entrypoints.http import tasks as v1
from entrypoints.http.auth import Owner
from entrypoints.http.compat.shapes import (
    LIST_LIMIT,
    CompatListQuery,
    CompatTag,
    CompatTaskCreate,
    CompatTaskList,
    CompatTaskListData,
    CompatTaskPublic,
    CompatTaskUpdate,
    ListShape,
)
from entrypoints.http.conditional import CONDITIONAL, Named, TaskId, answer
from entrypoints.http.problems import problem_responses
from entrypoints.http.query import query_model

TAG = "compatibility"
# What can follow /api/ and is not a user's id: /api/v1/... is never read as the tasks of a user
# called "v1" (nor /api/tasks/... and the other families as users called so). A caller whose id is
# one of these uses /api/tasks.
RESERVED = ("v1", "users", "tasks", "tags")


class UserIdConvertor(StringConvertor):
    regex = rf"(?!(?:{'|'.join(RESERVED)})(?:/|$))[^/]+"


register_url_convertor("user_id", UserIdConvertor())
UserId = Annotated[str, Path(description="The caller's own id, the token's `sub`; any other id answers 404.")]
_TASKS = TypeAdapter(list[CompatTaskPublic])
_TAGS = TypeAdapter(list[CompatTag])


async def _caller_is_named_in_path(user_id: UserId, owner: Owner) -> None:
    """Another user's path is as missing as another user's task, and nothing has run yet."""
    if user_id != owner:
        raise TaskNotFound(user_id)


async def create_task(
    request: Request, body: CompatTaskCreate, owner: Owner, create: v1.Creating
) -> Response:
    task = await create(owner, body.to_draft())
    # This family's own URL of the task, so a client that knows only these routes can follow it.
    collection = request.scope["route"].path_format.format(
        **{name: quote(value, safe="") for name, value in request.path_params.items()}
    )
    return answer(task, status_code=201, location=f"{collection}/{task.id}", shown=CompatTaskPublic.of)


async def list_tasks(
    request: Request,
    owner: Owner,
    list_page: v1.Listing,
    query: Annotated[CompatListQuery, Depends(query_model(CompatListQuery))],
) -> Response:
    shape: ListShape = request.app.state.compat_list_shape
    if query.selects_nothing:
        page = TaskPage(items=[], next_cursor=None, total=0)
    else:
        page = await list_page(owner, with_total=shape is not ListShape.ARRAY, **query.arguments())
    tasks = [CompatTaskPublic.of(task) for task in page.items]
    if shape is ListShape.ARRAY:
        content = _TASKS.dump_json(tasks)
    else:
        listed = CompatTaskList(tasks=tasks, total=page.total or 0)
        answered = listed if shape is ListShape.OBJECT else CompatTaskListData(data=listed)
        content = answered.model_dump_json().encode()
    return Response(content, media_type="application/json")


async def get_task(task_id: TaskId, owner: Owner, get: v1.Getting) -> Response:
    return answer(await get(owner, task_id), shown=CompatTaskPublic.of)


async def update_task(named: Named, body: CompatTaskUpdate, update: v1.Updating) -> Response:
    task = await update(named.owner, named.task_id, body.to_changes(), if_match=named.versions)
    return answer(task, shown=CompatTaskPublic.of)


async def delete_task(named: Named, delete: v1.Deleting) -> Response:
    """200 with `{}`, not 204: a client that checks `res.ok` is served either way, and one that
    calls `res.json()` on every answer (some of these do) fails on an empty body."""
    await delete(named.owner, named.task_id, if_match=named.versions)
    return Response(b"{}", media_type="application/json")


class Completion(BaseModel):
    """What some clients send to /complete: the state wanted. Without it, the state flips."""

    model_config = ConfigDict(extra="ignore")

    completed: bool | None = Field(
        default=None, strict=True, validation_alias=AliasChoices("completed", "is_completed")
    )


async def complete_task(
    named: Named,
    toggle: v1.Toggling,
    update: v1.Updating,
    body: Annotated[Completion | None, Body()] = None,
) -> Response:
    """Flips `completed`, or sets it when the body says which."""
    if body is None or body.completed is None:
        task = await toggle(named.owner, named.task_id, if_match=named.versions)
    else:
        changes = TaskChanges(completed=body.completed)
        task = await update(named.owner, named.task_id, changes, if_match=named.versions)
    return answer(task, shown=CompatTaskPublic.of)


async def uncomplete_task(named: Named, update: v1.Updating) -> Response:
    task = await update(named.owner, named.task_id, TaskChanges(completed=False), if_match=named.versions)
    return answer(task, shown=CompatTaskPublic.of)


async def list_tags(owner: Owner, list_all: v1_tags.ListingTags) -> Response:
    tags = [CompatTag.of(tag) for tag in await list_all(owner)]
    return Response(_TAGS.dump_json(tags), media_type="application/json")


LIST_SHAPES = list[CompatTaskPublic] | CompatTaskList | CompatTaskListData
_CONDITIONAL = problem_responses(412)


def family(prefix: str, *, user_in_path: bool) -> APIRouter:
    """The routes at `prefix`; with the caller's id in the path, checked against the token first."""
    router = APIRouter(
        prefix=prefix,
        tags=[TAG],
        # On the router, not on each route, so no route here can be reached without the check.
        dependencies=[Depends(_caller_is_named_in_path)] if user_in_path else [],
        responses=problem_responses(400, 401, 404, 422, 500, 503),
    )
    item = "/tasks/{task_id}"
    router.add_api_route(
        "/tasks",
        create_task,
        methods=["POST"],
        status_code=status.HTTP_201_CREATED,
        response_model=CompatTaskPublic,
    )
    router.add_api_route(
        "/tasks",
        list_tasks,
        methods=["GET"],
        response_model=LIST_SHAPES,
        description=(
            f"The caller's tasks, newest first unless sorted, at most `limit` (up to {LIST_LIMIT}) from "
            "`offset`: a plain array, or `{tasks, total}` (or that under `data`) as COMPAT_LIST_SHAPE says."
        ),
    )
    router.add_api_route(item, get_task, methods=["GET"], response_model=CompatTaskPublic)
    for method in ("PUT", "PATCH"):
        router.add_api_route(
            item,
            update_task,
            methods=[method],
            name=f"update_task_{method.lower()}",
            response_model=CompatTaskPublic,
            description=f"Changes the fields sent and keeps the others. {CONDITIONAL}",
            responses=_CONDITIONAL,
        )
    router.add_api_route(
        item,
        delete_task,
        methods=["DELETE"],
        response_model=dict[str, str],
        description=CONDITIONAL,
        responses=_CONDITIONAL,
    )
    flips = f"Flips `completed`, or sets it to the body's `completed` when sent. {CONDITIONAL}"
    unmarks = f"Marks the task not completed. {CONDITIONAL}"
    for action, endpoint, description in (
        ("complete", complete_task, flips),
        ("toggle", complete_task, flips),
        ("uncomplete", uncomplete_task, unmarks),
        ("incomplete", uncomplete_task, unmarks),
    ):
        for method in ("POST", "PATCH"):  # one route each, so each has an operation id of its own
            router.add_api_route(
                f"{item}/{action}",
                endpoint,
                methods=[method],
                name=f"{action}_task_{method.lower()}",
                response_model=CompatTaskPublic,
                description=description,
                responses=_CONDITIONAL,
            )
    router.add_api_route(
        "/tags",
        list_tags,
        methods=["GET"],
        response_model=list[CompatTag],
        description="The caller's tags, most used first, ties in name order.",
    )
    return router


# The most specific prefixes first: /api/users/{id} and /api would otherwise be read as a user id.
routers = [
    family("/api/users/{user_id:user_id}", user_in_path=True),
    family("/api", user_in_path=False),
    family("/api/{user_id:user_id}", user_in_path=True),
]
