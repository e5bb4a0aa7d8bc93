"""A small pool of driver connections: at most `size`, opened when first needed, the most recently
used handed out first, idle ones past their lifetime (or from before an `expire`) replaced."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

C = TypeVar("C")
_WAIT = object()  # no place was free: wait for one


@dataclass(slots=True)
class _Idle(Generic[C]):
    connection: C
    since: float
    generation: int


class Pool(Generic[C]):
    """Handing a connection out and taking it back need no I/O and no task of their own: on the
    usual path a request pays two queue operations. None in the queue is a free place."""

    def __init__(
        self,
        size: int,
        connect: Callable[[], Awaitable[C]],
        discard: Callable[[C], Awaitable[None]],
        *,
        timeout: float,
        max_idle_seconds: float | None = None,
    ) -> None:
        self._connect = connect
        self._discard = discard
        self._timeout = timeout
        self._max_idle = max_idle_seconds
        self._generation = 0
        self._places: asyncio.LifoQueue[_Idle[C] | None] = asyncio.LifoQueue()
        for _ in range(size):
            self._places.put_nowait(None)

    async def get(self, deadline: float) -> C:
        """A connection, by the event loop's `deadline` at the latest (and within the pool's timeout).

        The usual path, an idle connection at hand, sets no timer and awaits nothing."""
        place: _Idle[C] | object | None = _WAIT
        if not self._places.empty():
            place = self._places.get_nowait()
            if isinstance(place, _Idle) and self._fresh(place):
                return place.connection
        loop = asyncio.get_running_loop()
        async with asyncio.timeout_at(min(deadline, loop.time() + self._timeout)):
            if place is _WAIT:
                place = await self._places.get()  # every place is in use: wait for one
            return await self._fill(cast(_Idle[C] | None, place))

    async def _fill(self, place: _Idle[C] | None) -> C:
        """The place's connection if it is still fresh, else a new one in its place."""
        try:
            if place is not None:
                if self._fresh(place):
                    return place.connection
                await self._discard(place.connection)
            return await self._connect()
        except BaseException:
            self._places.put_nowait(None)
            raise

    def put(self, connection: C | None) -> None:
        """Take a connection back; None when it was dropped, which frees its place."""
        idle = None if connection is None else _Idle(connection, time.monotonic(), self._generation)
        self._places.put_nowait(idle)

    @property
    def available(self) -> int:
        """Places not handed out: idle connections and places free to open one."""
        return self._places.qsize()

    def expire(self) -> None:
        """Replace every connection idle now, when next handed out (after one was found dead)."""
        self._generation += 1

    async def close(self) -> None:
        """Close the idle connections; their places stay, to be filled again if the pool is used."""
        places = []
        while not self._places.empty():
            places.append(self._places.get_nowait())
        for place in places:
            if place is not None:
                await self._discard(place.connection)
            self._places.put_nowait(None)

    def _fresh(self, place: _Idle[C]) -> bool:
        if place.generation != self._generation:
            return False
        return self._max_idle is None or time.monotonic() - place.since < self._max_idle
