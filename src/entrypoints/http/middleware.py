"""Pure ASGI middleware: a request id on every answer, one log line per request, no leaked errors."""

from __future__ import annotations

import logging
import random
import re
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.problems import ProblemResponse, problem
from entrypoints.observability import request_id

log = logging.getLogger("tasks.http")
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(HTTPException):
    """The body went past the limit while it was being read (FastAPI lets an HTTPException through)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the {limit} bytes this service accepts.")


class RequestContextMiddleware:
    """Tags each request with an id, logs it, bounds its body, and turns an unhandled error into a
    500 problem. A path ending in a slash (other than `/`) is routed as the same path without it:
    the app redirects no slashes, since a redirect built here names `http://` behind a TLS proxy,
    and a browser that follows one with a POST or a preflight loses the request.

    A body over `max_body_bytes` is a 413 problem: at once when its Content-Length says so (nothing
    of it is read), else as soon as the bytes read pass the limit (a body sent in chunks). Starlette
    has a limit of its own, but answers it in plain text."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = 1_048_576, max_header_bytes: int = 16_384) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"]
        scope = _as_routed(scope)
        incoming_id, length, header_bytes = _read_headers(scope)
        rid = incoming_id or _new_id()
        rid_header = (b"x-request-id", rid.encode("latin-1"))
        token = request_id.set(rid)
        status = 500
        response_started = False
        started = time.perf_counter()
        limit = self.max_body_bytes
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                # Nothing inside sets this header: appending is all it takes.
                message["headers"] = [*message.get("headers", ()), rid_header]
            elif method == "HEAD" and message["type"] == "http.response.body":
                message = {**message, "body": b""}  # the headers, Content-Length included, stay
            await send(message)

        try:
            refused = self._refused(header_bytes, length)
            if refused is not None:
                await refused(scope, receive, send_with_id)
            else:
                await self.app(scope, receive_within_limit, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", method, path)
            if response_started:
                raise  # nothing more can be said on this response; the server closes it
            response = problem(500, f"An unexpected error occurred; quote request id {rid}.")
            await response(scope, receive, send_with_id)
        finally:
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            fields = {"method": method, "path": path, "status": status, "duration_ms": elapsed_ms}
            log.info("%s %s %d %.1fms", method, path, status, elapsed_ms, extra=fields)
            request_id.reset(token)

    def _refused(self, header_bytes: int, length: int | None) -> ProblemResponse | None:
        """Headers too large to read on (431), or a body announced too large to read at all (413)."""
        if header_bytes > self.max_header_bytes:
            limit = self.max_header_bytes
            detail = f"The request's headers are larger than the {limit} bytes this service takes."
            return problem(431, detail)
        if length is not None and length > self.max_body_bytes:
            return problem(413, BodyTooLarge(self.max_body_bytes).detail)
        return None


# Set in the scope of a HEAD served as GET: for a route whose GET never ends (a live stream).
HEAD = "tasks.head"


def _as_routed(scope: Scope) -> Scope:
    """HEAD as GET (served without the body, RFC 9110), for every GET route; a path ending in a
    slash, other than `/`, as the same path without it (and `raw_path` too, when the server gives
    one, so whatever reads either sees the path routed). The scope itself when neither applies."""
    changes: dict[str, object] = {}
    if scope["method"] == "HEAD":
        changes.update({"method": "GET", HEAD: True})
    path = scope["path"]
    if len(path) > 1 and path[-1] == "/":
        changes["path"] = path[:-1]
        raw_path = scope.get("raw_path")
        if isinstance(raw_path, bytes) and len(raw_path) > 1 and raw_path.endswith(b"/"):
            changes["raw_path"] = raw_path[:-1]
    return {**scope, **changes} if changes else scope


def _new_id() -> str:
    """128 random bits in hex, as unique as a uuid4 but from the process's own generator: a request
    id needs no secrecy, and asking the kernel for randomness is a system call on every request."""
    return f"{random.getrandbits(128):032x}"


def _read_headers(scope: Scope) -> tuple[str | None, int | None, int]:
    """The client's request id when it is an acceptable one, the body's announced length, and
    how many bytes the headers take."""
    incoming_id = length = None
    size = 0
    for name, value in scope["headers"]:
        size += len(name) + len(value)
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            incoming_id = candidate if _ACCEPTABLE_ID.match(candidate) else None
        elif name == b"content-length" and value.isdigit():
            length = int(value)
    return incoming_id, length, size
