"""What both baseline apps share: the token check, the page cursor and the create body."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, Field

from bench.dataset import SECRET

PRIORITIES = ("low", "medium", "high")  # stored as the rank, as the service stores it
_bearer = HTTPBearer(auto_error=False)


class NewTask(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    priority: Literal["low", "medium", "high"] = "medium"
    tags: list[str] = Field(default_factory=list, max_length=20)
    due_at: AwareDatetime | None = None


def owner_dependency(secret: str | None = None) -> Callable[..., Awaitable[str]]:
    """The caller's `sub` from an HS256 bearer token, checked as the service checks it."""
    key = secret or SECRET

    async def owner(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
        if credentials is None:
            raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        try:
            claims = jwt.decode(
                credentials.credentials, key, algorithms=["HS256"], options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError:
            raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"}) from None
        return str(claims["sub"])

    return owner


def encode_cursor(created_at: str, task_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at}|{task_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    """(created_at, id) as text; a cursor that is not one of ours is a 400."""
    try:
        created_at, task_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise HTTPException(400, "invalid cursor") from None
    return created_at, task_id


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"{name} is not set")
    return value
