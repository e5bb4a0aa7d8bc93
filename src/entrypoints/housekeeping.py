"""What a serving process does besides answering: purge expired rows now and then."""

from __future__ import annotations

import asyncio
import logging
import random

from application.maintenance import PurgeExpired

log = logging.getLogger(__name__)


async def purge_periodically(purge: PurgeExpired, interval_seconds: float) -> None:
    """Purge every `interval_seconds` until cancelled. The first purge comes after a random part of
    the interval, so that replicas started together do not purge together; a failed purge is
    logged and tried again at the next turn (a purge is never urgent)."""
    delay = random.uniform(0.5, 1.0) * interval_seconds  # noqa: S311 (spreading, not secrecy)
    while True:
        await asyncio.sleep(delay)
        delay = interval_seconds
        try:
            purged = await purge()
        except Exception:
            log.warning("purging expired rows failed; trying again in %ss", interval_seconds, exc_info=True)
            continue
        if purged.idempotency_keys or purged.rate_limits or purged.changes:
            log.info(
                "purged %d expired idempotency keys, %d spent rate-limit counts and %d old changes",
                purged.idempotency_keys,
                purged.rate_limits,
                purged.changes,
            )
