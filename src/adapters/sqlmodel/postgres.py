"""PostgreSQL on asyncpg connections from the service's own pool: each transaction opens with the
row-level-security prelude."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg
from asyncpg import Connection
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from adapters.sqlmodel.database import Database, Transaction
from adapters.sqlmodel.pool import Pool
from adapters.sqlmodel.statements import Compiled
from adapters.sqlmodel.transactions import TransactionPolicy

# Transaction-local settings (set_config(..., true)) survive a transaction-mode pooler, where a
# session-level SET would leak to whichever client gets the server connection next.
# app.user_id is what the row-level security policies compare each row's owner with.
# BEGIN and the prelude go in one simple-protocol message, one round trip where a bound parameter
# would need a second; the owner is therefore a string constant, quoted by `literal`.
OPENING = (
    "BEGIN; SELECT set_config('app.user_id', {owner}, true),"
    " set_config('statement_timeout', '{statement_timeout}', true),"
    " set_config('idle_in_transaction_session_timeout', '{idle_timeout}', true)"
)
_ROLLBACK_SECONDS = 5.0
# Serialization failure and deadlock: the same work may pass when run again.
_CONFLICT_SQLSTATES = ("40001", "40P01")
# Class 08 (connection exception), 57P01-03 (shut down, crashed, starting), 53300 (too many clients).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def literal(text: str) -> str:
    """`text` as a PostgreSQL escape string constant (E'...'), which means the same whatever
    standard_conforming_strings says: backslashes and quotes doubled. In UTF-8 (asyncpg's client
    encoding) no byte of a multi-byte character is a quote or a backslash, so nothing can end the
    constant early. NUL cannot be sent in a query at all."""
    if "\x00" in text:
        raise ValueError("PostgreSQL text cannot hold NUL")
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


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
    """Transactions on connections from a pool. `pooled`: a transaction-mode pooler (PgBouncer,
    Neon's -pooler host) sits in front, so no statement may be prepared once and reused: each
    server connection may be another one."""

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
        self.pooled = pooled
        self._connect_args = {**connect_args, "statement_cache_size": 0} if pooled else connect_args
        self._keep = keep_connections
        self._pre_ping = pre_ping
        self._pool = Pool(
            size,
            self._connect,
            self._discard,
            timeout=policy.pool_timeout_seconds,
            max_idle_seconds=inactive_lifetime,
        )
        self._opening = OPENING.replace("{statement_timeout}", str(policy.statement_timeout_ms)).replace(
            "{idle_timeout}", str(policy.idle_in_transaction_timeout_ms)
        )

    async def _begin(self, owner_id: str, deadline: float) -> PostgresTransaction:
        transaction = PostgresTransaction(self, await self._pool.get(deadline))
        self.checked_out += 1
        try:
            await self._open(transaction, owner_id, deadline)
        except BaseException:
            await self.end(transaction)
            raise
        transaction.begun = True
        return transaction

    async def end(self, transaction: Transaction[Connection]) -> None:
        """At once when the transaction ended cleanly; otherwise after a rollback (dropping the
        connection if that fails), shielded from the request's cancellation."""
        if transaction.settled and self._keep:
            self.checked_out -= 1
            self._pool.put(transaction.connection)
            return
        await asyncio.shield(self._give_back(transaction))

    async def close(self) -> None:
        await self._pool.close()

    def _connection_failed(self) -> None:
        self._pool.expire()

    async def _open(self, transaction: Transaction[Connection], owner_id: str, deadline: float) -> None:
        # asyncpg's own timeouts: a timer in its protocol, cheaper than a timeout scope per request.
        connection, loop = transaction.connection, asyncio.get_running_loop()
        if self._pre_ping:
            self.starting("SELECT 1")
            await connection.execute("SELECT 1", timeout=deadline - loop.time())
        opening = self._opening.replace("{owner}", literal(owner_id))
        started = self.starting(opening)
        await connection.execute(opening, timeout=deadline - loop.time())
        self.finished(opening, started)

    async def _give_back(self, transaction: Transaction[Connection]) -> None:
        kept: Connection | None = None
        try:
            if await self._settle(transaction) and self._keep:
                kept = transaction.connection
            else:
                await self._discard(transaction.connection)
        finally:
            self.checked_out -= 1
            self._pool.put(kept)

    async def _settle(self, transaction: Transaction[Connection]) -> bool:
        """Roll back whatever is still open; whether the connection can be used again."""
        connection = transaction.connection
        if not transaction.begun:  # it failed to open: a server that may not answer a ROLLBACK either
            connection.terminate()
            return False
        try:
            if transaction.open or connection.is_in_transaction():
                transaction.open = False
                async with asyncio.timeout(_ROLLBACK_SECONDS):
                    await connection.execute("ROLLBACK")
        except Exception as error:
            # Cancelled mid-statement, or the connection died: it cannot be trusted to be idle.
            if self.is_unavailable(error):
                self._pool.expire()  # its siblings likely died with it
            connection.terminate()
            return False
        return not connection.is_closed()

    def is_unavailable(self, error: BaseException) -> bool:
        if super().is_unavailable(error) or isinstance(error, asyncpg.ConnectionDoesNotExistError):
            return True
        if isinstance(error, asyncpg.exceptions.InternalClientError):
            # The server ended the connection while it sat idle (pg_terminate_backend, a restart):
            # asyncpg takes the unsolicited FATAL for a protocol error, and the connection answers
            # "cannot switch to state ..." until its socket closes (asyncpg #1069; SQLAlchemy
            # #13241 counts it as a disconnect too).
            return True
        if isinstance(error, asyncpg.PostgresError):
            return str(getattr(error, "sqlstate", "") or "").startswith(_UNAVAILABLE_SQLSTATES)
        if isinstance(error, asyncpg.InterfaceError):
            return "connection is closed" in str(error) or "connection was closed" in str(error)
        return False

    def conflict(self, error: BaseException) -> str | None:
        if (
            isinstance(error, asyncpg.PostgresError)
            and getattr(error, "sqlstate", None) in _CONFLICT_SQLSTATES
        ):
            return type(error).__name__
        return None

    def is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, asyncpg.UniqueViolationError)

    async def _connect(self) -> Connection:
        return await asyncpg.connect(**self._connect_args)

    async def _discard(self, connection: Connection) -> None:
        """Close a connection that is not to be used again (expired, or the pool closing)."""
        if connection.is_closed():
            return
        try:
            await connection.close(timeout=_ROLLBACK_SECONDS)
        except Exception:
            connection.terminate()

    async def ping(self) -> None:
        """One try more when the pool handed out a connection that had died (a blip, a restart)."""
        for attempt in (1, 2):
            loop = asyncio.get_running_loop()
            connection = await self._pool.get(loop.time() + self.policy.begin_deadline_seconds)
            try:
                await connection.execute("SELECT 1")
            except BaseException as error:
                connection.terminate()
                self._pool.put(None)
                self._pool.expire()
                if not self.is_unavailable(error) or attempt == 2:
                    raise
            else:
                self._pool.put(connection)
                return
