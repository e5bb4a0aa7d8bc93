"""Map every error to a problem answer; clients never see a trace, SQL or driver text."""

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from application.errors import (
    AtCapacity,
    DatabaseUnavailable,
    ExpiredToken,
    IdempotencyKeyReused,
    InvalidCursor,
    InvalidToken,
    TooManyAttempts,
    TransientConflict,
)
from application.sync import InvalidSyncToken, SyncTokenExpired
from domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidField,
    InvalidList,
    InvalidPlacement,
    InvalidTask,
    InvalidUser,
    ListNotFound,
    ListVersionMismatch,
    TaskNotFound,
    TasksNotFound,
    TooManyLists,
    VersionMismatch,
)
from domain.task_list import MAX_LISTS
from entrypoints.http.problems import MAX_LISTED_ERRORS, ProblemResponse, invalid_request_detail, problem
from entrypoints.live import TooManyStreams

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
EXPIRED_CHALLENGE = {
    "WWW-Authenticate": 'Bearer error="invalid_token", error_description="The access token expired"'
}
EXPIRED_TOKEN_DETAIL = "The access token expired; get a new one."  # noqa: S105 (words, not a secret)
INVALID_TOKEN_DETAIL = "A valid bearer token is required."  # noqa: S105
RETRY_AFTER_SECONDS = 2
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


E = TypeVar("E", bound=Exception)
Handler = Callable[[Request, E], Awaitable[ProblemResponse]]
_PROBLEMS: dict[type[Exception], Callable[[Request, Exception], Awaitable[ProblemResponse]]] = {}


def answers(kind: type[E]) -> Callable[[Handler[E]], Handler[E]]:
    """Enter a handler in the table of which error is which problem; its type is checked against
    the error's (a handler for one error cannot be filed under another)."""

    def enter(handler: Handler[E]) -> Handler[E]:
        async def handle(request: Request, error: Exception) -> ProblemResponse:
            assert isinstance(error, kind)  # Starlette hands each handler its own kind of error
            return await handler(request, error)

        _PROBLEMS[kind] = handle
        return handler

    return enter


@dataclass(frozen=True, slots=True)
class Fixed:
    """The same problem whatever the error says."""

    status: int
    detail: str
    headers: dict[str, str] | None = None

    async def __call__(self, _: Request, __: Exception) -> ProblemResponse:
        return problem(self.status, self.detail, headers=self.headers)


_TRY_AGAIN = {"Retry-After": str(RETRY_AFTER_SECONDS)}
# Errors whose answer tells nothing of the error itself; the others have handlers below.
FIXED_PROBLEMS: dict[type[Exception], Fixed] = {
    TaskNotFound: Fixed(404, "No such task."),
    ListNotFound: Fixed(404, "No such list."),
    TooManyLists: Fixed(409, f"You have {MAX_LISTS} lists, as many as anyone may; delete one first."),
    ListVersionMismatch: Fixed(412, "The list has changed since the version named in If-Match."),
    EmailTaken: Fixed(409, "An account with this email address exists already."),
    InvalidCredentials: Fixed(401, "The email or the password is wrong.", BEARER_CHALLENGE),
    VersionMismatch: Fixed(412, "The task has changed since the version named in If-Match."),
    AtCapacity: Fixed(
        503,
        "Too many sign-ins and registrations are being checked right now; try again shortly.",
        _TRY_AGAIN,
    ),
    # A lock held by another writer past the wait (SQLite's busy_timeout, say), a deadlock or a
    # serialization failure, even after the use case ran again: rolled back whole.
    TransientConflict: Fixed(
        503, "The database is busy with other changes; nothing was changed. Try again shortly.", _TRY_AGAIN
    ),
    SyncTokenExpired: Fixed(
        410, "The sync token is older than the change log keeps; sync from scratch, without `since`."
    ),
    TooManyStreams: Fixed(429, "You have as many live streams open as you may; close one first.", _TRY_AGAIN),
    DatabaseUnavailable: Fixed(
        503, "The database is not available right now; nothing was changed. Try again shortly.", _TRY_AGAIN
    ),
}


def install_error_handlers(app: FastAPI) -> None:
    """Every error the tables name answers as its problem; Starlette picks the most specific."""
    for kind, fixed in FIXED_PROBLEMS.items():
        app.add_exception_handler(kind, fixed)
    for kind, handle in _PROBLEMS.items():
        app.add_exception_handler(kind, handle)


@answers(RequestValidationError)
async def _invalid_request(request: Request, error: RequestValidationError) -> ProblemResponse:
    """At most MAX_LISTED_ERRORS of what was wrong, and how many more there were; or a 415 when
    the body could not be read for its media type."""
    unreadable = _unsupported_media_type(request)
    if unreadable is not None:
        return unreadable
    errors = error.errors()
    listed = _field_errors(errors[:MAX_LISTED_ERRORS])
    detail = invalid_request_detail(listed)
    if len(errors) > len(listed):
        return problem(422, detail, errors=listed, errors_not_listed=len(errors) - len(listed))
    return problem(422, detail, errors=listed)


@answers(HTTPException)
async def _http_error(request: Request, error: HTTPException) -> ProblemResponse:
    headers = dict(error.headers) if error.headers else {}
    detail = str(error.detail)
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem(error.status_code, detail, headers=headers or None)


@answers(InvalidToken)
async def refused_token(_: Request, error: InvalidToken) -> ProblemResponse:
    """Only an expired token is told why (RFC 6750): anything else learns nothing from the answer."""
    if isinstance(error, ExpiredToken):
        return problem(401, EXPIRED_TOKEN_DETAIL, headers=EXPIRED_CHALLENGE)
    return problem(401, INVALID_TOKEN_DETAIL, headers=BEARER_CHALLENGE)


@answers(TasksNotFound)
async def _tasks_not_found(_: Request, error: TasksNotFound) -> ProblemResponse:
    # Naming the ids the caller sent tells nothing new; whether any exists for another user stays unsaid.
    missing = [str(task_id) for task_id in error.task_ids]
    return problem(404, "No such task for the ids in missing_ids; nothing was changed.", missing_ids=missing)


@answers(InvalidField)
async def _invalid_field(_: Request, error: InvalidField) -> ProblemResponse:
    errors = [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
    if isinstance(error, InvalidPlacement):
        return problem(422, "The task cannot go there.", errors=errors)
    subject = "request"
    for kind, named in ((InvalidTask, "task"), (InvalidUser, "account"), (InvalidList, "list")):
        if isinstance(error, kind):
            subject = named
    return problem(422, f"The {subject} is not valid.", errors=errors)


@answers(InvalidCursor)
async def _invalid_cursor(_: Request, error: InvalidCursor) -> ProblemResponse:
    errors = [{"loc": ["query", "cursor"], "msg": str(error), "type": "value_error"}]
    return problem(422, "The cursor is not valid for this query.", errors=errors)


@answers(InvalidSyncToken)
async def _invalid_sync_token(_: Request, error: InvalidSyncToken) -> ProblemResponse:
    errors = [{"loc": ["query", "since"], "msg": str(error), "type": "value_error"}]
    return problem(422, "The sync token is not valid: sync from scratch, without `since`.", errors=errors)


@answers(IdempotencyKeyReused)
async def _idempotency_key_reused(_: Request, error: IdempotencyKeyReused) -> ProblemResponse:
    msg = "was first sent with another request body; use a new key for a new request"
    errors = [{"loc": ["header", "Idempotency-Key"], "msg": msg, "type": "value_error"}]
    return problem(422, "The Idempotency-Key belongs to another request.", errors=errors)


@answers(TooManyAttempts)
async def _too_many_attempts(_: Request, error: TooManyAttempts) -> ProblemResponse:
    seconds = max(1, math.ceil(error.retry_after_seconds))
    detail = f"Too many attempts from this address or for this account; try again in {seconds} s."
    return problem(429, detail, headers={"Retry-After": str(seconds)})


def _allowed_methods(request: Request) -> str:
    """Every method the path answers to (Starlette names only the first matching route's), HEAD
    wherever GET is. A fixed path beside /{task_id} (tasks.py) names its own: `/stats` also matches the
    /{task_id} routes, whose methods are not its."""
    routes = request.app.router.routes
    for route in routes:
        allowed = getattr(getattr(route, "endpoint", None), "allowed", None)
        if allowed is not None and route.path_regex.match(request.scope["path"]):
            return ", ".join(allowed)
    methods = [
        method
        for method in HTTP_METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)


def _unsupported_media_type(request: Request) -> ProblemResponse | None:
    """A body sent as what its route does not take: JSON where a form is taken (the token route),
    or a form (plain `curl -d`) or anything else where JSON is."""
    body_field = getattr(request.scope.get("route"), "body_field", None)
    if body_field is None:
        return None
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    is_json = media == "application/json" or media.endswith("+json")
    if isinstance(body_field.field_info, params.Form):
        if is_json:
            detail = "This route takes a form (application/x-www-form-urlencoded), not JSON."
            return problem(415, detail, headers={"Accept-Post": FORM_MEDIA_TYPE})
        return None
    if media and not is_json:
        accepted = {"Accept-Post": "application/json", "Accept-Patch": "application/json"}
        return problem(415, "This route takes application/json.", headers=accepted)
    return None


def _field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [part for part in error["loc"] if isinstance(part, str | int)],
            "msg": error["msg"],
            "type": error["type"],
        }
        for error in errors
    ]
