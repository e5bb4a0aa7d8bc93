"""What a verified token says, and what an issued one is (ports.py has the ports that do it)."""

from __future__ import annotations

from dataclasses import dataclass


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
