"""Fixed paths beside /api/v1/tasks/{task_id} (`/stats`, `/bulk`) answer 405 for methods they lack."""

from fastapi import APIRouter

from entrypoints.http.errors import HTTP_METHODS
from entrypoints.http.problems import ProblemResponse, problem


def refuse_other_methods(router: APIRouter, path: str, *allowed: str) -> None:
    """Answer every method but `allowed` on `path` with 405 and an Allow naming just those.

    Otherwise `PUT /stats` or `GET /bulk` would reach the /{task_id} routes and come back as a 422
    about the id, and an Allow header worked out from the routing table would list theirs too.
    """

    allowed = (*allowed, "HEAD") if "GET" in allowed else allowed  # HEAD is GET without the body

    async def method_not_allowed() -> ProblemResponse:
        return problem(405, "Method Not Allowed", headers={"Allow": ", ".join(allowed)})

    method_not_allowed.allowed = allowed  # type: ignore[attr-defined]  # what a 405 on the path names
    others = [method for method in HTTP_METHODS if method not in allowed]
    router.add_api_route(path, method_not_allowed, methods=others, include_in_schema=False)
