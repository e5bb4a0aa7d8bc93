"""Route for GET /api/v1/tags: the caller's tags, with how many of their tasks carry each."""

from typing import Annotated

from fastapi import APIRouter, Depends

from application.tasks import ListTags
from entrypoints.http.auth import Owner
from entrypoints.http.dependencies import provided
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas import TagPublic

ListingTags = Annotated[ListTags, Depends(provided(ListTags))]
router = APIRouter(prefix="/api/v1/tags", tags=["tags"], responses=problem_responses(400, 401, 422, 500, 503))


@router.get("", response_model=list[TagPublic], description="Most used first; ties in name order.")
async def list_tags(owner: Owner, list_all: ListingTags) -> list[TagPublic]:
    return [TagPublic.of(tag) for tag in await list_all(owner)]
