"""Routes for /api/v1/lists: parse, call one use case, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from application.lists import CreateList, DeleteList, GetList, ListLists, MoveList, UpdateList
from application.summaries import ListSummary
from entrypoints.http.auth import Owner
from entrypoints.http.conditional import ListId, NamedList, etag, json_answer
from entrypoints.http.dependencies import provided
from entrypoints.http.problems import problem_responses
from entrypoints.http.query import query_model
from entrypoints.http.schemas import ListCreate, ListMove, ListPublic, ListsPublic, ListsQuery, ListUpdate

PREFIX = "/api/v1/lists"
router = APIRouter(prefix=PREFIX, tags=["lists"], responses=problem_responses(400, 401, 422, 500, 503))
CONDITIONAL_LIST = (
    'Send `If-Match: "<version>"` (the ETag of the list you last saw) to act only if nobody '
    "changed the list since: otherwise the answer is 412 and nothing changes."
)

Creating = Annotated[CreateList, Depends(provided(CreateList))]
Listing = Annotated[ListLists, Depends(provided(ListLists))]
Getting = Annotated[GetList, Depends(provided(GetList))]
Updating = Annotated[UpdateList, Depends(provided(UpdateList))]
Moving = Annotated[MoveList, Depends(provided(MoveList))]
Deleting = Annotated[DeleteList, Depends(provided(DeleteList))]


def _answer(summary: ListSummary, *, status_code: int = 200, location: str | None = None) -> Response:
    headers = {"ETag": etag(summary.list)}
    if location is not None:
        headers["Location"] = location
    return json_answer(ListPublic.of(summary), status_code=status_code, headers=headers)


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=ListPublic, responses=problem_responses(409)
)
async def create_list(body: ListCreate, owner: Owner, create: Creating) -> Response:
    """A new list, last among yours. You may have at most 1,000 lists (409 beyond)."""
    summary = await create(owner, body.name, body.color)
    return _answer(summary, status_code=status.HTTP_201_CREATED, location=f"{PREFIX}/{summary.list.id}")


@router.get("", response_model=ListsPublic)
async def list_lists(
    owner: Owner, list_lists: Listing, query: Annotated[ListsQuery, Depends(query_model(ListsQuery))]
) -> Response:
    """Your lists in your order, each with its count of open tasks: those not archived, or with
    `archived=true` those archived."""
    found = await list_lists(owner, archived=query.archived)
    return json_answer(ListsPublic(items=[ListPublic.of(summary) for summary in found]))


@router.get("/{list_id}", response_model=ListPublic, responses=problem_responses(404))
async def get_list(list_id: ListId, owner: Owner, get: Getting) -> Response:
    return _answer(await get(owner, list_id))


@router.patch(
    "/{list_id}",
    response_model=ListPublic,
    responses=problem_responses(404, 412),
    description=CONDITIONAL_LIST,
)
async def update_list(named: NamedList, body: ListUpdate, update: Updating) -> Response:
    return _answer(await update(named.owner, named.list_id, body.to_changes(), if_match=named.versions))


@router.post(
    "/{list_id}/move",
    response_model=ListPublic,
    responses=problem_responses(404, 412),
    description=CONDITIONAL_LIST,
)
async def move_list(named: NamedList, body: ListMove, move: Moving) -> Response:
    """Put the list just after the list `after` (null: first)."""
    return _answer(await move(named.owner, named.list_id, body.after, if_match=named.versions))


@router.delete(
    "/{list_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(404, 412),
    description=CONDITIONAL_LIST,
)
async def delete_list(named: NamedList, delete: Deleting) -> None:
    """Delete the list and every task in it, in one transaction."""
    await delete(named.owner, named.list_id, if_match=named.versions)
