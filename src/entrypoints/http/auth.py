"""Who is calling: the owner named by a verified bearer token."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from application.errors import InvalidToken
from application.ports import TokenVerifier
from entrypoints.http.dependencies import provided

_bearer = HTTPBearer(auto_error=False, description="A JWT whose `sub` is the caller.")


async def current_owner(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    verifier: Annotated[TokenVerifier, Depends(provided(lambda c: c.adapters.tokens))],
) -> str:
    if credentials is None:
        raise InvalidToken("missing bearer token")
    return verifier.verify(credentials.credentials)


Owner = Annotated[str, Depends(current_owner)]
