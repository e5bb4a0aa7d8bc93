"""The ports identity needs: accounts, password hashing, and tokens issued and verified."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from application.ports import AbstractUnitOfWork
from domain.user import User


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified token speaks for: `subject` owns the tasks; the rest is what the claims say.

    `local` is true for tokens signed with this service's own secret, the only ones whose
    subject can be a local account's id.
    """

    subject: str
    email: str | None = None
    name: str | None = None
    local: bool = False


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Principal:
        """The principal a token speaks for, or InvalidToken."""
        ...


class TokenIssuer(Protocol):
    def issue(self, subject: str) -> IssuedToken: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify_and_update(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """Whether the password matches (with no hash: spend the same time and answer False), and
        when it does and the hash was made with older parameters, a new hash to store instead."""
        ...


class UserRepository(ABC):
    @abstractmethod
    async def add(self, user: User) -> bool:
        """Store a new account; False if its email (in any case) is taken already.

        After False from a race lost to a concurrent registration, abandon the unit of work.
        """

    @abstractmethod
    async def get(self, user_id: str) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, email: str) -> User | None:
        """The account with this email, compared without regard to case."""

    @abstractmethod
    async def replace_password_hash(self, user_id: UUID, password_hash: str) -> None:
        """Store a new hash of the same password (made with today's parameters)."""


class AccountsUnitOfWork(AbstractUnitOfWork):
    """One transaction over the accounts, which belong to nobody until they exist."""

    users: UserRepository


class AccountsUnitOfWorkFactory(Protocol):
    def __call__(self) -> AccountsUnitOfWork: ...
