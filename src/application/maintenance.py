"""Housekeeping: delete what has expired (idempotency keys past their time, rate-limit counts fully
regained), in batches, so that no table grows with what no request will read again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports import Clock, ExpiredRecords

PURGE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Purged:
    idempotency_keys: int
    rate_limits: int


class PurgeExpired:
    """Each batch is a transaction of its own: a long purge holds no lock for long, and what it
    deleted stays deleted if it is stopped."""

    def __init__(self, records: ExpiredRecords, clock: Clock, batch: int = PURGE_BATCH) -> None:
        self._records = records
        self._clock = clock
        self._batch = batch

    async def __call__(self) -> Purged:
        now = self._clock.now()
        return Purged(
            idempotency_keys=await self._all(self._records.purge_idempotency_keys, now),
            rate_limits=await self._all(self._records.purge_rate_limits, now),
        )

    async def _all(self, purge_batch: _Purge, now: datetime) -> int:
        total = 0
        while True:
            deleted = await purge_batch(now, self._batch)
            total += deleted
            if deleted < self._batch:
                return total


class _Purge(Protocol):
    async def __call__(self, now: datetime, limit: int) -> int: ...
