"""A local account: someone who signs in to this service with an email and a password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidUser

EMAIL_MAX_LENGTH = 320
NAME_MAX_LENGTH = 200
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024  # long enough for any passphrase, short enough not to be a hashing DoS


@dataclass(slots=True, kw_only=True)
class User:
    id: UUID
    email: str
    name: str | None
    password_hash: str
    created_at: datetime

    @property
    def email_key(self) -> str:
        return email_key(self.email)

    @classmethod
    def register(cls, *, id: UUID, email: str, name: str | None, password_hash: str, now: datetime) -> User:
        return cls(
            id=id,
            email=normalise_email(email),
            name=normalise_name(name),
            password_hash=password_hash,
            created_at=now,
        )


def email_key(email: str) -> str:
    """What makes two addresses the same account: case never does."""
    return email.strip().casefold()


def normalise_email(email: str) -> str:
    trimmed = email.strip()
    local, at, domain = trimmed.rpartition("@")
    if not (local and at and domain) or "\x00" in trimmed:
        raise InvalidUser("email", "must be an email address")
    # Its case-folded key is stored too, and folding can lengthen it ("ß" is "ss").
    if max(len(trimmed), len(email_key(trimmed))) > EMAIL_MAX_LENGTH:
        raise InvalidUser("email", f"must be at most {EMAIL_MAX_LENGTH} characters, case-folded")
    return trimmed


def normalise_name(name: str | None) -> str | None:
    if name is None:
        return None
    trimmed = name.strip()
    if len(trimmed) > NAME_MAX_LENGTH or "\x00" in trimmed:
        raise InvalidUser("name", f"must be at most {NAME_MAX_LENGTH} characters")
    return trimmed or None


def check_password(password: str) -> None:
    """The password rule: long enough to resist guessing, short enough to hash."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidUser("password", f"must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidUser("password", f"must be at most {PASSWORD_MAX_LENGTH} characters")
