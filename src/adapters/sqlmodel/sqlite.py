"""SQLite through a few aiosqlite connections: reads side by side (WAL), one writer at a time."""

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
    """Reads run as they come; the first write takes the process's write lock and, in the same
    call, opens the transaction with BEGIN IMMEDIATE (the driver's own, before a writing statement).

    Taking the write lock up front means a read-then-write unit of work never has to upgrade a read
    lock, which fails at once in WAL mode when someone else wrote meanwhile (SQLITE_BUSY_SNAPSHOT);
    taking it in this process means writers queue here, not in SQLite's sleeping busy handler.
    """

    database: SqliteDatabase
    writing = False

    async def _fetch(self, compiled: Compiled, arguments: Sequence[Any]) -> Sequence[Sequence[Any]]:
        if compiled.writes:
            await self._hold_write_lock()
        return await self.connection.execute_fetchall(compiled.sql, arguments)  # type: ignore[return-value]

    async def _execute(self, compiled: Compiled, arguments: Sequence[Any]) -> int:
        await self._hold_write_lock()
        before = self.connection.total_changes
        await self.connection.execute_fetchall(compiled.sql, arguments)
        return self.connection.total_changes - before

    async def _hold_write_lock(self) -> None:
        if not self.writing:
            await self.database.write_lock.acquire()
            self.writing = True

    async def _end(self, verb: str) -> None:
        try:
            if self.connection.in_transaction:
                self.database.starting(verb)
                await (self.connection.commit() if verb == "COMMIT" else self.connection.rollback())
        finally:
            self.release_write_lock()

    def release_write_lock(self) -> None:
        if self.writing:
            self.writing = False
            self.database.write_lock.release()


class SqliteDatabase(Database[aiosqlite.Connection]):
    dialect = SQLiteDialect_aiosqlite()

    def __init__(
        self,
        path: str,
        policy: TransactionPolicy,
        *,
        size: int,
        keep_connections: bool = True,
        slow_statement_ms: float | None = None,
    ) -> None:
        super().__init__(policy, slow_statement_ms=slow_statement_ms)
        self._path = path
        self._keep = keep_connections
        # Last in, first out: the connection used last is reused first. None is a free place,
        # where a connection is opened when it is needed.
        self._pool: asyncio.LifoQueue[aiosqlite.Connection | None] = asyncio.LifoQueue()
        for _ in range(size):
            self._pool.put_nowait(None)
        self._lock: asyncio.Lock | None = None

    @property
    def write_lock(self) -> asyncio.Lock:
        self._lock = self._lock or asyncio.Lock()
        return self._lock

    def _transaction(self, connection: aiosqlite.Connection) -> SqliteTransaction:
        return SqliteTransaction(self, connection)

    async def _check_out(self) -> aiosqlite.Connection:
        try:
            pooled = self._pool.get_nowait()
        except asyncio.QueueEmpty:
            async with asyncio.timeout(self.policy.pool_timeout_seconds):
                pooled = await self._pool.get()
        if pooled is not None:
            return pooled
        try:
            return await self._connect()
        except BaseException:
            self._pool.put_nowait(None)
            raise

    async def _connect(self) -> aiosqlite.Connection:
        # The driver begins a transaction (IMMEDIATE) before a statement that writes, not before reads.
        connection = await aiosqlite.connect(self._path, isolation_level="IMMEDIATE")
        try:
            for pragma in PRAGMAS:
                await connection.execute_fetchall(pragma)
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _open(self, transaction: Transaction[aiosqlite.Connection], owner_id: str) -> None:
        """Nothing to send: SQLite has no row-level security, and the transaction starts on first write."""

    async def _check_in(self, transaction: Transaction[aiosqlite.Connection]) -> None:
        assert isinstance(transaction, SqliteTransaction)
        connection = transaction.connection
        healthy = True
        try:
            # Always after an error or a cancellation: a statement may still be running in the
            # driver's thread, and the rollback queues behind it there.
            if transaction.open or transaction.writing:
                transaction.open = False
                await connection.rollback()
        except Exception:
            healthy = False
        finally:
            transaction.release_write_lock()
        kept = healthy and self._keep
        if not kept:
            with contextlib.suppress(Exception):
                await connection.close()
        self._pool.put_nowait(connection if kept else None)

    async def ping(self) -> None:
        transaction = await self._begin(None)
        try:
            await transaction.connection.execute_fetchall("SELECT 1")
        finally:
            await self.end(transaction)

    async def close(self) -> None:
        """Close the idle connections; their places stay, to be opened again if the pool is used."""
        idle = []
        while not self._pool.empty():
            idle.append(self._pool.get_nowait())
        for connection in idle:
            if connection is not None:
                await connection.close()
            self._pool.put_nowait(None)
