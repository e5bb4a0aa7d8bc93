"""PostgreSQL through an asyncpg pool: each transaction opens with the row-level-security prelude."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from asyncpg import Connection
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from adapters.sqlmodel.database import Database, Transaction
from adapters.sqlmodel.statements import Compiled
from adapters.sqlmodel.transactions import TransactionPolicy, is_unavailable

log = logging.getLogger(__name__)

# Transaction-local settings (set_config(..., true)) survive a transaction-mode pooler, where a
# session-level SET would leak to whichever client gets the server connection next.
# app.user_id is what the row-level security policies compare each row's owner with.
PRELUDE = (
    "SELECT set_config('app.user_id', $1, true),"
    " set_config('statement_timeout', $2, true),"
    " set_config('idle_in_transaction_session_timeout', $3, true)"
)
_ROLLBACK_SECONDS = 5.0


class PostgresTransaction(Transaction[Connection]):
    async def _fetch(self, compiled: Compiled, arguments: Sequence[Any]) -> Sequence[Sequence[Any]]:
        return await self.connection.fetch(compiled.sql, *arguments)  # type: ignore[no-any-return]

    async def _execute(self, compiled: Compiled, arguments: Sequence[Any]) -> int:
        status: str = await self.connection.execute(compiled.sql, *arguments)
        return int(status.rpartition(" ")[2] or 0)  # "UPDATE 1", "DELETE 0", "INSERT 0 1"

    async def _end(self, verb: str) -> None:
        self.database.starting(verb)
        await self.connection.execute(verb)


class PostgresDatabase(Database[Connection]):
    """`pooled`: a transaction-mode pooler (PgBouncer, Neon's -pooler host) sits in front, so no
    statement may be prepared once and reused: each server connection may be another one."""

    dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]

    def __init__(
        self,
        connect_args: dict[str, Any],
        policy: TransactionPolicy,
        *,
        size: int,
        inactive_lifetime: float,
        pooled: bool,
        keep_connections: bool = True,
        pre_ping: bool = False,
        slow_statement_ms: float | None = None,
    ) -> None:
        super().__init__(policy, slow_statement_ms=slow_statement_ms)
        if pooled:
            connect_args = {**connect_args, "statement_cache_size": 0}
        self._connect_args = connect_args
        self._size = size
        self._inactive_lifetime = inactive_lifetime
        self._pre_ping = pre_ping
        self._keep = keep_connections
        self._pool: asyncpg.Pool | None = None
        self._creating: asyncio.Lock | None = None
        self._settings = (str(policy.statement_timeout_ms), str(policy.idle_in_transaction_timeout_ms))

    def _transaction(self, connection: Connection) -> PostgresTransaction:
        return PostgresTransaction(self, connection)

    async def _check_out(self) -> Connection:
        pool = self._pool or await self._create_pool()
        connection: Connection = await pool.acquire(timeout=self.policy.pool_timeout_seconds)
        if self._pre_ping:
            try:
                await connection.execute("SELECT 1")
            except BaseException:
                await self._discard(connection)
                raise
        return connection

    async def _create_pool(self) -> asyncpg.Pool:
        """Made on first use, in the serving event loop; no connection is opened before one is needed."""
        self._creating = self._creating or asyncio.Lock()
        async with self._creating:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    min_size=0,
                    max_size=self._size,
                    max_inactive_connection_lifetime=self._inactive_lifetime,
                    reset=_left_as_is,
                    **self._connect_args,
                )
        return self._pool

    async def _open(self, transaction: Transaction[Connection], owner_id: str) -> None:
        connection = transaction.connection
        self.starting("BEGIN")
        await connection.execute("BEGIN")
        arguments = (owner_id, *self._settings)
        started = self.starting(PRELUDE, arguments)
        await connection.execute(PRELUDE, *arguments)
        self.finished(PRELUDE, started)

    async def _check_in(self, transaction: Transaction[Connection]) -> None:
        connection = transaction.connection
        try:
            if transaction.open or connection.is_in_transaction():
                transaction.open = False
                async with asyncio.timeout(_ROLLBACK_SECONDS):
                    await connection.execute("ROLLBACK")
            if not self._keep:
                await connection.close(timeout=_ROLLBACK_SECONDS)
        except Exception as error:
            # Cancelled mid-statement, or the connection died: it cannot be trusted to be idle.
            if is_unavailable(error) and self._pool is not None:
                self._pool.expire_connections()  # its siblings likely died with it
            _terminate(connection)
        await self._release(connection)

    async def _discard(self, connection: Connection) -> None:
        _terminate(connection)
        if self._pool is not None:
            self._pool.expire_connections()
        await self._release(connection)

    async def _release(self, connection: Connection) -> None:
        if self._pool is not None:
            await self._pool.release(connection)

    async def ping(self) -> None:
        """One try more when the pool handed out a connection that had died (a blip, a restart)."""
        for attempt in (1, 2):
            pool = self._pool or await self._create_pool()
            connection: Connection = await pool.acquire(timeout=self.policy.pool_timeout_seconds)
            try:
                await connection.execute("SELECT 1")
                return
            except Exception as error:
                _terminate(connection)
                pool.expire_connections()
                if not is_unavailable(error) or attempt == 2:
                    raise
            finally:
                await asyncio.shield(pool.release(connection))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def _terminate(connection: Connection) -> None:
    """Close at once; a connection that died was already handed back to the pool by asyncpg."""
    with contextlib.suppress(asyncpg.InterfaceError):
        connection.terminate()


async def _left_as_is(_connection: Connection) -> None:
    """Units of work end their own transactions and set nothing outside them, so a connection needs
    no reset query (asyncpg's default costs a round trip on every release)."""
