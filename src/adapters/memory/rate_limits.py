"""Rate limits in memory, with the SQL adapter's contract: for unit tests, never for serving
(each process would count alone)."""

from __future__ import annotations

from datetime import datetime

from application.limits import Rate
from application.ports import RateLimiter


class InMemoryRateLimiter(RateLimiter):
    def __init__(self) -> None:
        self.refilled_at: dict[str, float] = {}

    async def hit(self, key: str, rate: Rate, now: datetime) -> float | None:
        at = now.timestamp()
        moved_on = max(self.refilled_at.get(key, at), at) + rate.interval_seconds
        if moved_on > at + rate.period_seconds:
            return moved_on - rate.period_seconds - at
        self.refilled_at[key] = moved_on
        return None
