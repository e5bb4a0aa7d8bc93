"""Routes for local accounts and for the caller's own profile."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from application.accounts import CurrentUser, LogIn, Register
from application.accounts.register import Registration
from domain.user import NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from entrypoints.http.auth import Caller
from entrypoints.http.dependencies import provided
from entrypoints.http.emails import Email
from entrypoints.http.problems import problem_responses

accounts = APIRouter(
    prefix="/api/v1/auth", tags=["accounts"], responses=problem_responses(400, 422, 429, 500, 503)
)
me = APIRouter(prefix="/api/v1/users", tags=["accounts"], responses=problem_responses(401, 500, 503))


class AccountCreate(BaseModel):
    """Body of registration."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]
    name: Annotated[str, Field(max_length=NAME_MAX_LENGTH)] | None = None


class AccountPublic(BaseModel):
    """An account as its owner sees it; `created_at` is null for an external identity."""

    id: str
    email: str | None
    name: str | None
    created_at: datetime | None


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


@accounts.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountPublic,
    responses=problem_responses(409),
)
async def register(
    request: Request,
    body: AccountCreate,
    register: Annotated[Register, Depends(provided(Register))],
) -> AccountPublic:
    registration = Registration(email=body.email, password=body.password, name=body.name)
    user = await register(registration, address=client_address(request))
    return AccountPublic(id=str(user.id), email=user.email, name=user.name, created_at=user.created_at)


@accounts.post("/token", response_model=TokenPublic, responses=problem_responses(401))
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    log_in: Annotated[LogIn, Depends(provided(LogIn))],
) -> TokenPublic:
    """OAuth2 password flow: `username` is the account's email."""
    issued = await log_in(form.username, form.password, address=client_address(request))
    return TokenPublic(access_token=issued.access_token, expires_in=issued.expires_in)


def client_address(request: Request) -> str | None:
    """The client's address: the peer's, or the one a trusted proxy forwarded (see app.py)."""
    return request.client.host if request.client is not None else None


@me.get("/me", response_model=AccountPublic)
async def who_am_i(
    caller: Caller,
    current_user: Annotated[CurrentUser, Depends(provided(CurrentUser))],
) -> AccountPublic:
    profile = await current_user(caller)
    return AccountPublic(id=profile.id, email=profile.email, name=profile.name, created_at=profile.created_at)
