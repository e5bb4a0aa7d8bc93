"""Pure ASGI middleware: a request id on every answer, one log line per request, no leaked errors."""

from __future__ import annotations

import logging
import random
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.problems import problem
from entrypoints.observability import request_id

log = logging.getLogger("tasks.http")
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Tags each request with an id, logs it, and turns an unhandled error into a 500 problem."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope) or _new_id()
        rid_header = (b"x-request-id", rid.encode("latin-1"))
        token = request_id.set(rid)
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                # Nothing inside sets this header: appending is all it takes.
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if response_started:
                raise  # nothing more can be said on this response; the server closes it
            response = problem(500, f"An unexpected error occurred; quote request id {rid}.")
            await response(scope, receive, send_with_id)
        finally:
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            method, path = scope["method"], scope["path"]
            fields = {"method": method, "path": path, "status": status, "duration_ms": elapsed_ms}
            log.info("%s %s %d %.1fms", method, path, status, elapsed_ms, extra=fields)
            request_id.reset(token)


def _new_id() -> str:
    """128 random bits in hex, as unique as a uuid4 but from the process's own generator: a request
    id needs no secrecy, and asking the kernel for randomness is a system call on every request."""
    return f"{random.getrandbits(128):032x}"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _ACCEPTABLE_ID.match(candidate) else None
    return None
