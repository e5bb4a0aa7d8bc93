"""MCP over streamable HTTP at /mcp, in the REST API's own app and process.

- The caller is the bearer token's subject, checked by the REST API's own `current_principal`
  (same verifiers, same limits) before the SDK sees the request; a missing or bad token is a 401
  problem whose `WWW-Authenticate` points an MCP client at the protected-resource metadata
  (RFC 9728), published when an external issuer (AUTH_ISSUER with AUTH_JWKS_URL) signs the tokens.
- The SDK is loaded, and its sessions started, by the first request that gets past that check:
  it takes 27 MB, which a worker no agent calls need not carry.
- Stateless, answered as JSON: every POST stands alone, so any worker or replica can take any
  request, and nothing is held between them (the SDK's sessions live in one process's memory).
- The SDK's DNS-rebinding guard is off: it is for servers that trust whoever can reach them, and
  a page that rebinds a name to this service still has no token to send."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from application.errors import InvalidToken
from entrypoints.container import Container
from entrypoints.http.auth import current_principal
from entrypoints.http.errors import refused_token
from entrypoints.http.problems import problem
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

log = logging.getLogger("tasks.mcp")
MCP_PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource"
_OWNER = "tasks.owner"  # the scope key the verified caller's id is kept under


def install_mcp(app: FastAPI, container: Container, settings: Settings, version: str) -> McpEndpoint:
    """Serve MCP at /mcp (and the metadata, with an external issuer); the endpoint returned is
    closed when the app stops."""
    issuer = settings.auth_issuer if settings.auth_jwks_url else None
    endpoint = McpEndpoint(container, issuer, version)
    app.router.routes.append(Route(MCP_PATH, endpoint))
    if issuer is not None:
        metadata = ProtectedResourceMetadata(issuer)
        # At the root, and (RFC 9728, section 3.1) after it the resource's path, where MCP clients
        # look first when no WWW-Authenticate names it.
        for path in (METADATA_PATH, METADATA_PATH + MCP_PATH):
            app.add_api_route(path, metadata, methods=["GET"], include_in_schema=False)
    return endpoint


class McpEndpoint:
    """Lets through only requests whose bearer token verifies, noting whose it is, to the SDK."""

    def __init__(self, container: Container, issuer: str | None, version: str) -> None:
        self._container = container
        self._issuer = issuer
        self._version = version
        self._app: ASGIApp | None = None
        self._starting = asyncio.Lock()
        self._stop: Callable[[], Awaitable[None]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            principal = await current_principal(request)
        except InvalidToken as error:
            refusal = await self._refusal(request, error)
            await refusal(scope, receive, send)
            return
        if request.method != "POST":
            # Stateless: no stream to GET (it would stay open, carrying nothing), no session to DELETE.
            detail = "MCP is served here over POST only (stateless streamable HTTP)."
            await problem(405, detail, headers={"Allow": "POST"})(scope, receive, send)
            return
        scope[_OWNER] = principal.subject
        app = self._app or await self._start()
        await app(scope, receive, send)

    async def close(self) -> None:
        stop, self._stop, self._app = self._stop, None, None
        if stop is not None:
            try:
                await stop()
            except Exception:
                log.exception("the MCP session manager failed as it stopped")

    async def _start(self) -> ASGIApp:
        async with self._starting:
            if self._app is None:
                from mcp.server.streamable_http_manager import StreamableHTTPASGIApp  # noqa: PLC0415
                from mcp.server.transport_security import TransportSecuritySettings  # noqa: PLC0415

                from entrypoints.mcp.tools import server_for  # noqa: PLC0415 (the SDK: when used)

                server = server_for(self._container, _caller_of_request, self._version)
                server.streamable_http_app(
                    stateless_http=True,
                    json_response=True,
                    transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
                )
                self._stop = await _running(server.session_manager, self._ended)
                self._app = StreamableHTTPASGIApp(server.session_manager)
        return self._app

    def _ended(self, holder: asyncio.Task[None]) -> None:
        """The session manager stopped: by `close`, or by failing, when the next request starts
        another one."""
        if not holder.cancelled() and holder.exception() is not None:
            log.error(
                "the MCP session manager failed; the next request starts it again",
                exc_info=holder.exception(),
            )
        self._app = self._stop = None

    async def _refusal(self, request: Request, error: InvalidToken) -> Response:
        """The REST API's 401; with an external issuer, its challenge also points at the metadata
        that names it (RFC 9728), where an MCP client finds where to sign the user in."""
        refusal = await refused_token(request, error)
        if self._issuer is not None:
            challenge = refusal.headers["WWW-Authenticate"]
            pointer = f'resource_metadata="{str(request.base_url).rstrip("/")}{METADATA_PATH}"'
            refusal.headers["WWW-Authenticate"] = f"{challenge}{', ' if '=' in challenge else ' '}{pointer}"
        return refusal


async def _running(
    manager: StreamableHTTPSessionManager, ended: Callable[[asyncio.Task[None]], None]
) -> Callable[[], Awaitable[None]]:
    """Start the SDK's session manager in a task of its own (its task group must be left by the
    task that entered it), which keeps it until the returned function is called; `ended` is told
    when that task ends, however it ends. The task gets a context of its own, not the first
    request's (its request id)."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with manager.run():
            started.set()
            await stopping.wait()

    holder = asyncio.create_task(hold(), context=contextvars.Context())
    waiting = asyncio.create_task(started.wait())
    try:
        await asyncio.wait((holder, waiting), return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # the first request was cancelled meanwhile: nothing may be left running
        waiting.cancel()
        holder.cancel()
        raise
    if not started.is_set():
        waiting.cancel()
        await holder  # it ended before serving: its error, here
    holder.add_done_callback(ended)

    async def stop() -> None:
        stopping.set()
        await holder

    return stop


async def _caller_of_request(ctx: Context) -> str:
    request = ctx.request_context.request
    owner = None if request is None else request.scope.get(_OWNER)
    if not isinstance(owner, str):
        raise InvalidToken("no verified caller on this request")  # McpEndpoint checks first
    return owner


class ProtectedResourceMetadata:
    """RFC 9728: which authorization server issues the tokens /mcp takes."""

    def __init__(self, issuer: str) -> None:
        self._issuer = issuer

    async def __call__(self, request: Request) -> JSONResponse:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "resource": base + MCP_PATH,
                "authorization_servers": [self._issuer],
                "bearer_methods_supported": ["header"],
                "resource_name": "tasks-service",
                "resource_documentation": base + "/docs",
            }
        )
