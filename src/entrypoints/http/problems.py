"""RFC 9457 problem details: the one shape of every error answer."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_LISTED_ERRORS = 20  # a body with 100,000 unknown keys gets a short answer, not a long one


class ProblemFieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An error answer (RFC 9457); `errors` lists what was wrong with the request."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemFieldError] | None = Field(
        default=None, description=f"What was wrong, at most {MAX_LISTED_ERRORS} of it."
    )
    errors_not_listed: int | None = Field(
        default=None, description="How many more things were wrong than `errors` lists."
    )


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extensions)
    return ProblemResponse(body, status_code=status, headers=headers)


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def invalid_request_detail(errors: list[dict[str, Any]]) -> str:
    """A 422's `detail`, naming the first listed problem, where and what: many clients show only
    `detail` (a toast, a form's banner), and "not valid" alone leaves the user guessing."""
    if not errors:
        return "The request is not valid."
    # A location is named only when it is a plain name: an unknown parameter's name is the
    # client's own text, which a client may show as it is (it stays in `errors`).
    location = [str(part) for part in errors[0]["loc"]]
    where = ".".join(location) if all(_PLAIN_NAME.match(part) for part in location) else ""
    what = str(errors[0]["msg"]).rstrip(".")
    return f"The request is not valid: {where}: {what}." if where else f"The request is not valid: {what}."


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries declaring that these statuses answer with a problem document."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
