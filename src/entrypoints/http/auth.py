"""Who is calling: the principal named by a verified bearer token."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer, OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param

from application.errors import InvalidToken
from application.identity import Principal
from application.ports import TokenVerifier

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 (a path, not a password)
MAX_TOKEN_LENGTH = 8192  # real tokens are well under 2 KB; parsing megabytes is a cheap attack

# Two ways to present the same header, both shown on /docs: log in with the password form, or
# paste a token (one from `tasks token`, or from a Better Auth frontend). They are documented, not
# run: both read `Authorization: Bearer`, which the dependencies below read once themselves, and
# each dependency costs every request its resolution (see `document_security`).
_SCHEMES = (
    OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False, description="Log in as a local account."),
    HTTPBearer(auto_error=False, description="Paste a JWT whose `sub` is the caller."),
)


async def current_principal(request: Request) -> Principal:
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("missing bearer token")
    # A plain lookup, not a dependency of its own: every dependency costs each request its resolution.
    return await verified(token, request.app.state.container.adapters.token_verifier())


async def verified(token: str, verifier: TokenVerifier) -> Principal:
    """Who a bearer token speaks for, however it came (a header, or TASKS_TOKEN for `tasks mcp`)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the bearer token is too long to be one this service accepts")
    return await verifier.verify(token)


async def current_owner(request: Request) -> str:
    """The caller's id: what most routes need."""
    return (await current_principal(request)).subject


Caller = Annotated[Principal, Depends(current_principal)]
Owner = Annotated[str, Depends(current_owner)]


def document_security(schema: dict[str, Any], routes: list[Any]) -> None:
    """Put the two schemes in the OpenAPI document, as FastAPI would for security dependencies: in
    its components, and as the requirement of every operation that needs a caller."""
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    for security in _SCHEMES:
        schemes[security.scheme_name] = security.model.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    requirement: list[dict[str, list[str]]] = [{security.scheme_name: []} for security in _SCHEMES]
    for route in routes:
        if isinstance(route, APIRoute) and route.include_in_schema and _needs_caller(route):
            operations = schema["paths"].get(route.path_format, {})
            for method in route.methods or ():
                if method.lower() in operations:
                    operations[method.lower()]["security"] = requirement


def _needs_caller(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call in (current_principal, current_owner):
            return True
        pending.extend(dependency.dependencies)
    return False
