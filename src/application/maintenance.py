"""Housekeeping: delete what has expired (idempotency keys past their time, rate-limit counts fully
regained, change-log entries past their retention), in batches, so that no table grows with what no
request will read again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from application.ports import Clock, ExpiredRecords
from application.sync import DEFAULT_RETENTION

# Changes are kept a day past the retention, beyond which sync tokens are refused: a token that is
# just young enough still finds every change after it, even one whose transaction began earlier.
RETENTION_GRACE = timedelta(days=1)

PURGE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Purged:
    idempotency_keys: int
    rate_limits: int
    changes: int = 0


class PurgeExpired:
    """Each batch is a transaction of its own: a long purge holds no lock for long, and what it
    deleted stays deleted if it is stopped."""

    def __init__(
        self,
        records: ExpiredRecords,
        clock: Clock,
        batch: int = PURGE_BATCH,
        change_retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self._records = records
        self._clock = clock
        self._batch = batch
        self._change_retention = change_retention

    async def __call__(self) -> Purged:
        now = self._clock.now()
        return Purged(
            idempotency_keys=await self._all(self._records.purge_idempotency_keys, now),
            rate_limits=await self._all(self._records.purge_rate_limits, now),
            changes=await self._all(
                self._records.purge_changes, now - self._change_retention - RETENTION_GRACE
            ),
        )

    async def _all(self, purge_batch: _Purge, now: datetime) -> int:
        total = 0
        while True:
            deleted = await purge_batch(now, self._batch)
            total += deleted
            if deleted < self._batch:
                return total


class _Purge(Protocol):
    async def __call__(self, moment: datetime, limit: int, /) -> int: ...
