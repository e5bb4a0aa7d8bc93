"""The live streams a process serves: which owners have streams open (at most so many each), and
waking them when their owner's items change (told by this process's commits, and on PostgreSQL by
the change log's notifications from every process, listened for only while a stream is open: an
idle process holds no connection, and a Neon compute can scale to zero)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol


class TooManyStreams(Exception):
    """The owner has as many streams open (on this process) as they may."""


READY_SECONDS = 2.0  # how long a new stream waits for the notifications to be listened for


class Notifications(Protocol):
    listening: asyncio.Event  # set while they are listened for

    def start(self) -> None: ...

    def stop(self) -> None: ...


class LiveStreams:
    def __init__(self, max_per_owner: int) -> None:
        self.max_per_owner = max_per_owner
        self.notifications: Notifications | None = None
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def open(self, owner_id: str) -> Stream:
        """A stream for the owner, woken on each of their changes; TooManyStreams beyond the limit.
        Counted from here, before the answer starts: close it when the stream ends."""
        if len(self._waiting.get(owner_id, ())) >= self.max_per_owner:
            raise TooManyStreams(f"at most {self.max_per_owner} streams at once")
        if not self._waiting and self.notifications is not None:
            self.notifications.start()  # the process's first stream
        stream = Stream(self, owner_id)
        self._waiting.setdefault(owner_id, set()).add(stream.woken)
        return stream

    async def ready(self) -> None:
        """Once the notifications are listened for (or a moment has passed: the stream then polls
        until they are): a stream reads the feed only after this, so that whatever commits after
        its read is told."""
        if self.notifications is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(READY_SECONDS):
                    await self.notifications.listening.wait()

    def changed(self, owner_id: str) -> None:
        """Wake every stream of the owner's (nothing when none is open here)."""
        for woken in self._waiting.get(owner_id, ()):
            woken.set()

    def resumed(self) -> None:
        """Wake every stream: changes may have gone untold (the notifications were not listened for
        a while), and each reads the feed again."""
        for waiting in self._waiting.values():
            for woken in waiting:
                woken.set()

    def count(self, owner_id: str) -> int:
        return len(self._waiting.get(owner_id, ()))

    def _closed(self, stream: Stream) -> None:
        waiting = self._waiting.get(stream.owner_id)
        if waiting is not None:
            waiting.discard(stream.woken)
            if not waiting:
                del self._waiting[stream.owner_id]
                if not self._waiting and self.notifications is not None:
                    self.notifications.stop()  # the process's last stream


class Stream:
    def __init__(self, streams: LiveStreams, owner_id: str) -> None:
        self._streams = streams
        self.owner_id = owner_id
        self.woken = asyncio.Event()

    async def ready(self) -> None:
        await self._streams.ready()

    async def wait(self, seconds: float) -> None:
        """Until the owner's items change, or `seconds` pass (to poll, for changes no one told of)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.woken.wait()
        self.woken.clear()

    def close(self) -> None:
        """Give the stream's place back (again: nothing)."""
        self._streams._closed(self)
