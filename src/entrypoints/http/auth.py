"""Who is calling: the principal named by a verified bearer token."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer

from application.errors import InvalidToken
from application.identity import Principal, TokenVerifier

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 (a path, not a password)
MAX_TOKEN_LENGTH = 8192  # real tokens are well under 2 KB; parsing megabytes is a cheap attack

# Two ways to present the same header, both shown on /docs: log in with the password form, or
# paste a token (one from `tasks token`, or from a Better Auth frontend).
_password_flow = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL, auto_error=False, description="Log in as a local account."
)
_bearer = HTTPBearer(auto_error=False, description="Paste a JWT whose `sub` is the caller.")


async def current_principal(
    request: Request,
    from_password_flow: Annotated[str | None, Depends(_password_flow)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = from_password_flow or (credentials.credentials if credentials else None)
    if not token:
        raise InvalidToken("missing bearer token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the bearer token is too long to be one this service accepts")
    # A plain lookup, not a dependency of its own: every dependency costs each request its resolution.
    verifier: TokenVerifier = request.app.state.container.adapters.token_verifier()
    return await verifier.verify(token)


async def current_owner(
    request: Request,
    from_password_flow: Annotated[str | None, Depends(_password_flow)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's id: what most routes need, one dependency level fewer than through Caller."""
    return (await current_principal(request, from_password_flow, credentials)).subject


Caller = Annotated[Principal, Depends(current_principal)]
Owner = Annotated[str, Depends(current_owner)]
