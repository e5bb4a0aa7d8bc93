"""Map every error to a problem answer; clients never see a trace, SQL or driver text."""

import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from application.errors import (
    AtCapacity,
    ConcurrentUpdate,
    DatabaseUnavailable,
    ExpiredToken,
    IdempotencyKeyReused,
    InvalidCursor,
    InvalidToken,
    TooManyAttempts,
    TransientConflict,
)
from domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidField,
    InvalidTask,
    InvalidUser,
    TaskNotFound,
    TasksNotFound,
    VersionMismatch,
)
from entrypoints.http.problems import MAX_LISTED_ERRORS, ProblemResponse, problem

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
EXPIRED_CHALLENGE = {
    "WWW-Authenticate": 'Bearer error="invalid_token", error_description="The access token expired"'
}
RETRY_AFTER_SECONDS = 2
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(InvalidToken, _invalid_token)  # type: ignore[arg-type]
    app.add_exception_handler(TaskNotFound, _task_not_found)  # type: ignore[arg-type]
    app.add_exception_handler(TasksNotFound, _tasks_not_found)  # type: ignore[arg-type]
    app.add_exception_handler(InvalidField, _invalid_field)  # type: ignore[arg-type]
    app.add_exception_handler(EmailTaken, _email_taken)  # type: ignore[arg-type]
    app.add_exception_handler(InvalidCredentials, _invalid_credentials)  # type: ignore[arg-type]
    app.add_exception_handler(InvalidCursor, _invalid_cursor)  # type: ignore[arg-type]
    app.add_exception_handler(IdempotencyKeyReused, _idempotency_key_reused)  # type: ignore[arg-type]
    app.add_exception_handler(VersionMismatch, _version_mismatch)  # type: ignore[arg-type]
    app.add_exception_handler(ConcurrentUpdate, _concurrent_update)  # type: ignore[arg-type]
    app.add_exception_handler(DatabaseUnavailable, _unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(TransientConflict, _busy)  # type: ignore[arg-type]
    app.add_exception_handler(AtCapacity, _at_capacity)  # type: ignore[arg-type]
    app.add_exception_handler(TooManyAttempts, _too_many_attempts)  # type: ignore[arg-type]


async def _invalid_request(request: Request, error: RequestValidationError) -> ProblemResponse:
    """At most MAX_LISTED_ERRORS of what was wrong, and how many more there were; or a 415 when
    the body could not be read for its media type."""
    unreadable = _unsupported_media_type(request)
    if unreadable is not None:
        return unreadable
    errors = error.errors()
    listed = _field_errors(errors[:MAX_LISTED_ERRORS])
    detail = "The request is not valid."
    if len(errors) > len(listed):
        return problem(422, detail, errors=listed, errors_not_listed=len(errors) - len(listed))
    return problem(422, detail, errors=listed)


async def _http_error(request: Request, error: HTTPException) -> ProblemResponse:
    headers = dict(error.headers) if error.headers else {}
    detail = str(error.detail)
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem(error.status_code, detail, headers=headers or None)


async def _invalid_token(_: Request, error: InvalidToken) -> ProblemResponse:
    """Only an expired token is told why (RFC 6750): anything else learns nothing from the answer."""
    if isinstance(error, ExpiredToken):
        return problem(401, "The access token expired; get a new one.", headers=EXPIRED_CHALLENGE)
    return problem(401, "A valid bearer token is required.", headers=BEARER_CHALLENGE)


async def _task_not_found(_: Request, error: TaskNotFound) -> ProblemResponse:
    return problem(404, "No such task.")


async def _tasks_not_found(_: Request, error: TasksNotFound) -> ProblemResponse:
    # Naming the ids the caller sent tells nothing new; whether any exists for another user stays unsaid.
    missing = [str(task_id) for task_id in error.task_ids]
    return problem(404, "No such task for the ids in missing_ids; nothing was changed.", missing_ids=missing)


async def _invalid_field(_: Request, error: InvalidField) -> ProblemResponse:
    errors = [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
    subject = "request"
    if isinstance(error, InvalidTask | InvalidUser):
        subject = "task" if isinstance(error, InvalidTask) else "account"
    return problem(422, f"The {subject} is not valid.", errors=errors)


async def _email_taken(_: Request, error: EmailTaken) -> ProblemResponse:
    return problem(409, "An account with this email address exists already.")


async def _invalid_credentials(_: Request, error: InvalidCredentials) -> ProblemResponse:
    return problem(401, "The email or the password is wrong.", headers=BEARER_CHALLENGE)


async def _invalid_cursor(_: Request, error: InvalidCursor) -> ProblemResponse:
    errors = [{"loc": ["query", "cursor"], "msg": str(error), "type": "value_error"}]
    return problem(422, "The cursor is not valid for this query.", errors=errors)


async def _idempotency_key_reused(_: Request, error: IdempotencyKeyReused) -> ProblemResponse:
    msg = "was first sent with another request body; use a new key for a new request"
    errors = [{"loc": ["header", "Idempotency-Key"], "msg": msg, "type": "value_error"}]
    return problem(422, "The Idempotency-Key belongs to another request.", errors=errors)


async def _version_mismatch(_: Request, error: VersionMismatch) -> ProblemResponse:
    return problem(412, "The task has changed since the version named in If-Match.")


async def _at_capacity(_: Request, error: AtCapacity) -> ProblemResponse:
    detail = "Too many sign-ins and registrations are being checked right now; try again shortly."
    return problem(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _too_many_attempts(_: Request, error: TooManyAttempts) -> ProblemResponse:
    seconds = max(1, math.ceil(error.retry_after_seconds))
    detail = f"Too many attempts from this address or for this account; try again in {seconds} s."
    return problem(429, detail, headers={"Retry-After": str(seconds)})


async def _busy(_: Request, error: TransientConflict) -> ProblemResponse:
    """A lock held by another writer past the wait (SQLite's busy_timeout, say), a deadlock or a
    serialization failure, even after the use case ran again: rolled back whole."""
    detail = "The database is busy with other changes; nothing was changed. Try again shortly."
    return problem(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _unavailable(_: Request, error: DatabaseUnavailable) -> ProblemResponse:
    detail = "The database is not available right now; nothing was changed. Try again shortly."
    return problem(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _concurrent_update(_: Request, error: ConcurrentUpdate) -> ProblemResponse:
    return problem(409, "The task was changed by another request at the same time; try again.")


def _allowed_methods(request: Request) -> str:
    """Every method the path answers to (Starlette names only the first matching route's), HEAD
    wherever GET is. A literal path (literal_paths) names its own: `/stats` also matches the
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
