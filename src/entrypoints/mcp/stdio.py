"""`tasks mcp`: MCP over stdio, for a local agent acting for the user whose bearer token is in
TASKS_TOKEN. The token is verified like an HTTP bearer token, at start and again on every tool
call, so one that expires or is revoked (a JWKS key taken out) stops working mid-session too.
stdout carries the protocol and nothing else: logs go to stderr."""

from mcp.server.mcpserver import Context

from application.errors import InvalidToken
from application.ports import TokenVerifier
from entrypoints.container import Container
from entrypoints.http.auth import verified
from entrypoints.mcp.tools import server_for
from entrypoints.settings import Settings


class NoToken(Exception):
    """TASKS_TOKEN is missing, or is no token this service accepts: the message says which."""


async def serve_stdio(settings: Settings, version: str) -> None:
    container = Container(settings=settings)
    verifier: TokenVerifier = container.adapters.token_verifier()
    token = "" if settings.tasks_token is None else settings.tasks_token.get_secret_value().strip()

    async def the_caller(_: Context | None = None) -> str:
        return (await verified(token, verifier)).subject

    try:
        if not token:
            raise NoToken("TASKS_TOKEN is not set: put the bearer token of the user the agent acts for in it")
        try:
            await the_caller()
        except InvalidToken as error:
            raise NoToken(f"TASKS_TOKEN is not a token this service accepts: {error}") from error
        await server_for(container, the_caller, version).run_stdio_async()
    finally:
        jwks = container.adapters.jwks()
        if jwks is not None:
            await jwks.aclose()
        await container.adapters.database().close()
