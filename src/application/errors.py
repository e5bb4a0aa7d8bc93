"""Errors the use cases raise about a request rather than about a task."""

from domain.errors import DomainError


class InvalidCursor(DomainError):
    """A page cursor was tampered with, or made for another query."""


class InvalidToken(DomainError):
    """A bearer token is missing, malformed, expired or badly signed."""


class ExpiredToken(InvalidToken):
    """A bearer token that was good, and whose time is up: the client may say so to its user."""


class InfrastructureError(Exception):
    """Not a rule of the domain but the machinery failing for now: the request may pass later."""


class DatabaseUnavailable(InfrastructureError):
    """The database cannot be reached now (starting, restarting, overloaded); try again shortly."""


class AtCapacity(InfrastructureError):
    """As much of this work (hashing passwords) is running or waiting as is allowed; try again shortly."""


class TransientConflict(InfrastructureError):
    """The transaction lost a race (a serialization failure, a deadlock, a task stored by another
    writer since it was loaded) and was rolled back whole: the use case may run again."""


class IdempotencyKeyReused(DomainError):
    """An Idempotency-Key came back with a request other than the one it was first sent with."""


class TooManyAttempts(DomainError):
    """An address or an account made more attempts (logins, registrations) than its rate allows."""

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__(f"try again in {retry_after_seconds:.1f} s")
        self.retry_after_seconds = retry_after_seconds
