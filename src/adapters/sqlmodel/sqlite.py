"""SQLite through aiosqlite: one connection that every unit of work reads on, one that writes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

from adapters.sqlmodel.database import Database, Transaction
from adapters.sqlmodel.statements import Compiled
from adapters.sqlmodel.transactions import TransactionPolicy

BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    # WAL lets readers run beside a writer; busy_timeout waits for another process's lock.
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


class SqliteTransaction(Transaction[aiosqlite.Connection]):
    """Reads until the first write run on the shared reading connection, each statement on its own
    (in WAL mode, a consistent view of what was committed). The first write, or a read that locks
    rows (FOR UPDATE, which SQLite has not), takes the process's write lock and moves the unit of
    work to the writing connection; there the driver opens the transaction with BEGIN IMMEDIATE in
    the same call as the first writing statement.

    The lock comes first, so a read-then-write unit of work never has to upgrade a read lock (which
    fails at once in WAL mode when someone else wrote meanwhile, SQLITE_BUSY_SNAPSHOT), and writers
    of this process queue here, not in SQLite's sleeping busy handler.
    """

    database: SqliteDatabase
    writing = False

    async def _fetch(self, compiled: Compiled, arguments: Sequence[Any]) -> Sequence[Sequence[Any]]:
        if compiled.writes and not self.writing:
            await self._take_the_writer()
        return await self.connection.execute_fetchall(compiled.sql, arguments)  # type: ignore[return-value]

    async def _execute(self, compiled: Compiled, arguments: Sequence[Any]) -> int:
        if not self.writing:
            await self._take_the_writer()
        before = self.connection.total_changes
        await self.connection.execute_fetchall(compiled.sql, arguments)
        return self.connection.total_changes - before

    async def _take_the_writer(self) -> None:
        self.connection = await self.database.writer()
        self.writing = True

    async def _end(self, verb: str) -> None:
        if not self.writing:
            return  # reads only: nothing was begun
        if self.connection.in_transaction:
            self.database.starting(verb)
            await (self.connection.commit() if verb == "COMMIT" else self.connection.rollback())
        # Only once it went through: after a failure the unit of work's end rolls back first.
        self.writing = False
        self.database.release_writer()


class SqliteDatabase(Database[aiosqlite.Connection]):
    """Two connections per process, each a thread of aiosqlite's: more would only take turns at the
    one core a worker runs on, and each holds a page cache of its own."""

    dialect = SQLiteDialect_aiosqlite()

    def __init__(
        self, path: str, policy: TransactionPolicy, *, slow_statement_ms: float | None = None
    ) -> None:
        super().__init__(policy, slow_statement_ms=slow_statement_ms)
        self._path = path
        self._reader: aiosqlite.Connection | None = None
        self._writer: aiosqlite.Connection | None = None
        self._opening: asyncio.Lock | None = None
        self._write_lock: asyncio.Lock | None = None

    async def _begin(self, owner_id: str, deadline: float) -> SqliteTransaction:
        """Nothing to send: SQLite has no row-level security, and a transaction starts on first write."""
        reader = self._reader or await self._open_reader(deadline)
        self.checked_out += 1
        transaction = SqliteTransaction(self, reader)
        transaction.begun = True
        return transaction

    async def end(self, transaction: Transaction[aiosqlite.Connection]) -> None:
        assert isinstance(transaction, SqliteTransaction)
        try:
            if transaction.writing:
                await asyncio.shield(self._roll_back(transaction))
        finally:
            self.checked_out -= 1

    async def writer(self) -> aiosqlite.Connection:
        """The writing connection, once this unit of work holds the process's write lock."""
        self._write_lock = self._write_lock or asyncio.Lock()
        await self._write_lock.acquire()
        try:
            if self._writer is None:
                # The driver begins a transaction (IMMEDIATE) before a statement that writes.
                self._writer = await self._connect(isolation_level="IMMEDIATE")
        except BaseException:
            self._write_lock.release()
            raise
        return self._writer

    def release_writer(self) -> None:
        assert self._write_lock is not None
        self._write_lock.release()

    async def _roll_back(self, transaction: SqliteTransaction) -> None:
        """After an error or a cancellation: a statement may still be running in the writer's
        thread, and the rollback queues behind it there. A writer that cannot roll back is closed."""
        connection = transaction.connection
        try:
            await connection.rollback()
        except Exception:
            self._writer = None
            with contextlib.suppress(Exception):
                await connection.close()
        finally:
            transaction.open = transaction.writing = False
            self.release_writer()

    async def _open_reader(self, deadline: float) -> aiosqlite.Connection:
        self._opening = self._opening or asyncio.Lock()
        async with asyncio.timeout_at(deadline), self._opening:
            if self._reader is None:
                self._reader = await self._connect(isolation_level=None)  # each statement on its own
        return self._reader

    async def _connect(self, *, isolation_level: str | None) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(self._path, isolation_level=isolation_level)
        try:
            for pragma in PRAGMAS:
                await connection.execute_fetchall(pragma)
        except BaseException:
            await connection.close()
            raise
        return connection

    async def ping(self) -> None:
        loop = asyncio.get_running_loop()
        reader = self._reader or await self._open_reader(loop.time() + self.policy.begin_deadline_seconds)
        await reader.execute_fetchall("SELECT 1")

    async def close(self) -> None:
        """Close both connections; they open again if the database is used after."""
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None
