"""Rate limits on attempts that cost the service real work or guard a secret (logging in,
registering): so many per address and per account, counted where every worker and replica sees
the same count (the database)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from application.errors import TooManyAttempts
from application.ports import Clock, RateLimiter
from domain.user import email_key

RATE_LIMIT_KEY_LENGTH = 64  # a SHA-256, in hex
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `hits` in any `period_seconds`, regained one every `period_seconds / hits`."""

    hits: int
    period_seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate | None:
        """ "20/minute", "5/hour", "100/day", "1/second"; "off" for no limit (None)."""
        if text.strip().lower() == "off":
            return None
        match = _RATE.match(text.lower())
        if match is None or int(match[1]) < 1:
            raise ValueError(f"{text!r} is not a rate: write it as 20/minute (or second, hour, day), or off")
        return cls(int(match[1]), _PERIODS[match[2]])

    @property
    def interval_seconds(self) -> float:
        """How long one hit takes to be regained."""
        return self.period_seconds / self.hits


@dataclass(frozen=True, slots=True)
class AttemptRates:
    """The limits of one kind of attempt; None is no limit."""

    per_address: Rate | None = None
    per_account: Rate | None = None


class AttemptLimits:
    """Counts each attempt against its client address and against the account it names, and
    refuses it (TooManyAttempts) when either has had its share. Keys are hashed: the counts hold
    no addresses."""

    def __init__(self, limiter: RateLimiter, clock: Clock, rates: dict[str, AttemptRates]) -> None:
        self._limiter = limiter
        self._clock = clock
        self._rates = rates

    async def check(self, action: str, *, address: str | None, account: str) -> None:
        """Count the attempt against its address, then its account; the first that has had its
        share refuses it, and the account is not charged for an attempt its address could not make
        (else an attacker's refused guesses would go on locking the account's owner out)."""
        rates, now = self._rates.get(action, AttemptRates()), self._clock.now()
        keyed = [
            (rates.per_address, None if address is None else _key(action, "address", address)),
            (rates.per_account, _key(action, "account", email_key(account))),
        ]
        for rate, key in keyed:
            if rate is not None and key is not None:
                wait = await self._limiter.hit(key, rate, now)
                if wait is not None:
                    raise TooManyAttempts(wait)


def _key(action: str, kind: str, value: str) -> str:
    return hashlib.sha256(f"{action}\x00{kind}\x00{value}".encode()).hexdigest()
