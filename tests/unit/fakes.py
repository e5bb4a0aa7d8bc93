"""Fakes for the ports the use cases need: a clock the test sets and ids in a known order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

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
