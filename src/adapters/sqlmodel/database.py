"""The database as units of work use it: a pool of driver connections, and one transaction at a time
on each, opened for an owner. Statements run on the driver (asyncpg, aiosqlite) directly."""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Dialect

from adapters.sqlmodel.statements import Compiled, Statement
from adapters.sqlmodel.transactions import TransactionPolicy, is_unavailable, translated
from application.errors import DatabaseUnavailable

log = logging.getLogger(__name__)
slow_log = logging.getLogger("tasks.sql.slow")

# Told each statement (and its arguments as the driver gets them) just before it is sent.
StatementListener = Callable[[str, Sequence[Any]], None]
C = TypeVar("C")
_NONE: Mapping[str, Any] = MappingProxyType({})
Row = dict[str, Any]


class Transaction(ABC, Generic[C]):
    """One unit of work's checked-out connection, inside its transaction until commit or rollback."""

    def __init__(self, database: Database[C], connection: C) -> None:
        self.database = database
        self.connection = connection
        self.open = True

    async def fetch(self, statement: Statement, values: Mapping[str, Any] = _NONE) -> list[Row]:
        compiled = statement.on(self.database.dialect)
        arguments = compiled.arguments(values)
        started = self.database.starting(compiled.sql, arguments)
        rows = await self._fetch(compiled, arguments)
        self.database.finished(compiled.sql, started)
        return [compiled.row(row) for row in rows]

    async def fetch_one(self, statement: Statement, values: Mapping[str, Any] = _NONE) -> Row | None:
        rows = await self.fetch(statement, values)
        return rows[0] if rows else None

    async def execute(self, statement: Statement, values: Mapping[str, Any] = _NONE) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        compiled = statement.on(self.database.dialect)
        arguments = compiled.arguments(values)
        started = self.database.starting(compiled.sql, arguments)
        changed = await self._execute(compiled, arguments)
        self.database.finished(compiled.sql, started)
        return changed

    async def commit(self) -> None:
        if self.open:
            self.open = False
            await self._end("COMMIT")

    async def rollback(self) -> None:
        if self.open:
            self.open = False
            await self._end("ROLLBACK")

    @abstractmethod
    async def _fetch(self, compiled: Compiled, arguments: Sequence[Any]) -> Sequence[Sequence[Any]]: ...

    @abstractmethod
    async def _execute(self, compiled: Compiled, arguments: Sequence[Any]) -> int: ...

    @abstractmethod
    async def _end(self, verb: str) -> None: ...


class Database(ABC, Generic[C]):
    """A pool of one driver's connections. `begin` checks one out and opens its transaction (retrying
    connection failures within the policy's deadline); `end` always gives it back, even while the
    request is being cancelled, so nothing is left checked out or idle in transaction."""

    dialect: Dialect

    def __init__(self, policy: TransactionPolicy, *, slow_statement_ms: float | None = None) -> None:
        self.policy = policy
        self.listeners: list[StatementListener] = []
        self.checked_out = 0
        self._slow_seconds = None if slow_statement_ms is None else slow_statement_ms / 1000

    @property
    def name(self) -> str:
        return str(self.dialect.name)

    async def begin(self, owner_id: str | None) -> Transaction[C]:
        """A connection inside a new transaction; on PostgreSQL, scoped to `owner_id` for row-level
        security (no owner: an empty one, which matches no row)."""
        try:
            async with asyncio.timeout(self.policy.begin_deadline_seconds):
                return await self._begin_with_retries(owner_id)
        except TimeoutError as error:  # a database that accepts connections but never answers
            raise DatabaseUnavailable("no answer before the deadline") from error

    async def end(self, transaction: Transaction[C]) -> None:
        """Roll back whatever is still open and give the connection back, whatever happens meanwhile."""
        await asyncio.shield(self._give_back(transaction))

    async def _begin_with_retries(self, owner_id: str | None) -> Transaction[C]:
        attempts = self.policy.connect_attempts
        for attempt in range(1, attempts + 1):
            try:
                return await self._begin(owner_id)
            except Exception as error:
                if not is_unavailable(error) or attempt == attempts:
                    raise translated(error) from error
                log.warning("database connection failed (attempt %d): %s", attempt, type(error).__name__)
                await asyncio.sleep(self.policy.connect_backoff_seconds * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def _begin(self, owner_id: str | None) -> Transaction[C]:
        connection = await self._check_out()
        self.checked_out += 1
        transaction = self._transaction(connection)
        try:
            await self._open(transaction, owner_id or "")
        except BaseException:
            await self.end(transaction)
            raise
        return transaction

    async def _give_back(self, transaction: Transaction[C]) -> None:
        try:
            await self._check_in(transaction)
        finally:
            self.checked_out -= 1

    def starting(self, sql: str, arguments: Sequence[Any] = ()) -> float:
        for listener in self.listeners:
            listener(sql, arguments)
        return time.perf_counter()

    def finished(self, sql: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        if self._slow_seconds is not None and elapsed >= self._slow_seconds:
            ms = round(elapsed * 1000, 1)
            text = " ".join(sql.split())
            slow_log.warning("slow statement: %.1fms: %s", ms, text, extra={"duration_ms": ms})

    @abstractmethod
    def _transaction(self, connection: C) -> Transaction[C]: ...

    @abstractmethod
    async def _check_out(self) -> C: ...

    @abstractmethod
    async def _open(self, transaction: Transaction[C], owner_id: str) -> None:
        """Start the transaction (or get ready to, on first write)."""

    @abstractmethod
    async def _check_in(self, transaction: Transaction[C]) -> None:
        """Roll back if still open (dropping the connection if that fails) and give it back."""

    @abstractmethod
    async def ping(self) -> None:
        """Run a trivial query on a pooled connection; raise when the database does not answer."""

    @abstractmethod
    async def close(self) -> None: ...
