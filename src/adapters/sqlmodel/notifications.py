"""The change log's notifications on PostgreSQL: one connection per process LISTENs on channel
`tasks_changes` (migration 0011 notifies it, at commit, with the owner whose items changed, for
owners some stream listens for) and tells each owner to whoever waits for them; only while the
process serves a stream (entrypoints/live.py starts and stops it).

A transaction-mode pooler cannot LISTEN: this connects to the direct URL. Whenever the connection
is lost it connects again, with backoff; meanwhile streams still poll, and once it listens again
every stream is woken (`resumed`) to read what was not told: a change is late, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from adapters.sqlmodel.changes import CHANNEL

log = logging.getLogger(__name__)
_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


class ChangeNotifications:
    def __init__(
        self,
        connect_args: dict[str, Any],
        changed: Callable[[str], None],
        resumed: Callable[[], None] = lambda: None,
    ) -> None:
        self._connect_args = connect_args
        self._changed = changed
        self._resumed = resumed
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while a connection listens

    def start(self) -> None:
        """Listen from now on (nothing if already)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="change notifications")

    def stop(self) -> None:
        """Stop listening: the connection is closed as the task ends. Not listened for from now on,
        though the task has yet to end: a stream opened meanwhile waits for the next connection."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self.listening.clear()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen(self) -> None:
        failures, listened = 0, False
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(**self._connect_args)
                lost = asyncio.Event()
                connection.add_termination_listener(functools.partial(_set, lost))
                await connection.add_listener(CHANNEL, self._notified)
                self.listening.set()
                if listened:  # changes committed while it was lost were told to no one
                    self._resumed()
                failures, listened = 0, True
                await lost.wait()
                log.warning("the connection listening for changes was lost; connecting again")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                log.warning("cannot listen for changes (%s); streams poll meanwhile", type(error).__name__)
            finally:
                if self._task is asyncio.current_task():  # not one stopped, while its successor listens
                    self.listening.clear()
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(_BACKOFF_SECONDS[min(failures, len(_BACKOFF_SECONDS) - 1)])
            failures += 1

    def _notified(self, _connection: Any, _pid: int, _channel: str, owner_id: str) -> None:
        self._changed(owner_id)


def _set(event: asyncio.Event, _connection: Any) -> None:
    event.set()
