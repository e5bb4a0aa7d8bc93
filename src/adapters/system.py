"""The real clock and id generator."""

from datetime import UTC, datetime
from uuid import UUID

import uuid6


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidV7Generator:
    """Time-ordered UUIDv7 ids, so new rows land at the end of the primary-key index."""

    def new_id(self) -> UUID:
        return UUID(bytes=uuid6.uuid7().bytes)
