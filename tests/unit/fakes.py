"""Fakes for the ports the use cases need: a clock the test sets and ids in a known order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from adapters.memory.rate_limits import InMemoryRateLimiter
from application.identity import IssuedToken
from application.limits import AttemptLimits

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class FakeClock:
    """Stands still until the test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 1.0) -> None:
        self._now += timedelta(seconds=seconds)


class SequentialIds:
    """UUIDs 1, 2, 3, ... so a test knows each task's id and their order."""

    def __init__(self) -> None:
        self._last = 0

    def new_id(self) -> UUID:
        self._last += 1
        return UUID(int=self._last)


class FakeHasher:
    """A transparent stand-in for Argon2 that counts every verification, hit or miss."""

    def __init__(self) -> None:
        self.verifications = 0

    async def hash(self, password: str) -> str:
        return f"hashed:{password}"

    async def verify_and_update(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """A hash of the older form `old:<password>` matches too, and comes back in today's form."""
        self.verifications += 1
        if password_hash == f"old:{password}":
            return True, f"hashed:{password}"
        return password_hash == f"hashed:{password}", None


class FakeTokens:
    """Issues `token-for:<subject>` so a test can see whom a token was made for."""

    def issue(self, subject: str) -> IssuedToken:
        return IssuedToken(access_token=f"token-for:{subject}", expires_in=3600)


NO_LIMITS = AttemptLimits(InMemoryRateLimiter(), FakeClock(), {})  # no kind of attempt is limited
