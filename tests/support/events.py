"""Reading a live stream (text/event-stream) as a browser's EventSource would: events, comments."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Event:
    event: str = "message"
    id: str | None = None
    data: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class EventStream:
    response: httpx.Response
    comments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines = self.response.aiter_lines()

    async def next(self, within: float = 5.0) -> Event:
        """The next event (comments are kept aside), within `within` seconds."""
        async with asyncio.timeout(within):
            event = Event()
            async for line in self._lines:
                if line == "":
                    if event.data or event.id is not None:
                        return event
                    continue
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    self.comments.append(value)
                elif name == "event":
                    event.event = value
                elif name == "id":
                    event.id = value
                elif name == "data":
                    event.data = f"{event.data}\n{value}" if event.data else value
            raise EOFError("the stream ended")

    async def changes(self, count: int, within: float = 5.0) -> list[Event]:
        return [await self.next(within) for _ in range(count)]

    async def ended(self, within: float = 5.0) -> bool:
        """Whether the stream ends (rather than sends another event) within `within` seconds."""
        try:
            await self.next(within)
        except (EOFError, httpx.RemoteProtocolError, httpx.ReadError):
            return True
        return False


@asynccontextmanager
async def event_stream(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None, **params: str
) -> AsyncIterator[EventStream]:
    """An open stream; fails unless it is one (200, text/event-stream)."""
    async with client.stream("GET", url, headers=headers, params=params) as response:
        if response.status_code != 200:
            await response.aread()
            raise AssertionError(f"{response.status_code}: {response.text}")
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response)
