"""Live updates: tickets that open a stream where no header can be sent (a browser's EventSource),
and the stream's own bookkeeping (listening, wakeups) stays in the entrypoints."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from application.cursors import CursorCodec
from application.errors import InvalidCursor, InvalidToken
from application.limits import Rate
from application.ports import Clock, RateLimiter

TICKET_LIFETIME = timedelta(seconds=30)
_PURPOSE = "events-ticket"


class InvalidTicket(InvalidToken):
    """A stream ticket that is forged, expired or used already."""


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    ticket: str
    expires_in: int  # seconds


class EventTickets:
    """Short-lived, single-use tickets for `GET /api/v1/events?ticket=...`: signed (so they name
    their owner unforgeably), and spent on first use in the database, where every worker and
    replica sees it (as one hit of a rate of one per lifetime: the second is refused, and the row
    is purged once the ticket would have expired anyway)."""

    def __init__(
        self, codec: CursorCodec, limiter: RateLimiter, clock: Clock, lifetime: timedelta = TICKET_LIFETIME
    ) -> None:
        self._codec = codec
        self._limiter = limiter
        self._clock = clock
        self._lifetime = lifetime

    def issue(self, owner_id: str) -> IssuedTicket:
        expires = self._clock.now() + self._lifetime
        fields = {"o": owner_id, "n": secrets.token_hex(16), "e": int(expires.timestamp())}
        return IssuedTicket(self._codec.seal(fields, _PURPOSE), int(self._lifetime.total_seconds()))

    async def redeem(self, ticket: str) -> str:
        """The owner the ticket was issued to, spending it; InvalidTicket if it cannot be."""
        try:
            fields = self._codec.unseal(ticket, _PURPOSE)
            owner_id, nonce, expires = str(fields["o"]), str(fields["n"]), float(fields["e"])
        except (InvalidCursor, KeyError, TypeError, ValueError) as error:
            raise InvalidTicket("the ticket is not valid") from error
        now = self._clock.now()
        if now.timestamp() >= expires:
            raise InvalidTicket("the ticket expired")
        key = hashlib.sha256(f"{_PURPOSE}\x00{nonce}".encode()).hexdigest()
        once = Rate(hits=1, period_seconds=self._lifetime.total_seconds())
        if await self._limiter.hit(key, once, now) is not None:
            raise InvalidTicket("the ticket was used already")
        return owner_id
