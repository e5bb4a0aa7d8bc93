"""The database as units of work use it: transactions opened for an owner on the driver's
connections (asyncpg; sqlite3 on threads of its own), with statements run on the driver directly."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Dialect

from adapters.sqlmodel.statements import Compiled, Statement
from adapters.sqlmodel.transactions import TransactionPolicy
from application.errors import DatabaseUnavailable, TransientConflict

log = logging.getLogger(__name__)
slow_log = logging.getLogger("tasks.sql.slow")

# Told each statement (and its arguments as the driver gets them) just before it is sent; SQLite's
# group commit tells each unit of work's writes and one COMMIT, not the savepoints around them.
StatementListener = Callable[[str, Sequence[Any]], None]
C = TypeVar("C")
NO_VALUES: Mapping[str, Any] = MappingProxyType({})
Row = dict[str, Any]


class Transaction(ABC, Generic[C]):
    """One unit of work's checked-out connection, inside its transaction until commit or rollback."""

    def __init__(self, database: Database[C], connection: C) -> None:
        self.database = database
        self.connection = connection
        self.open = True
        self.begun = False  # its opening statements went through
        self.settled = False  # ended by a COMMIT or ROLLBACK that went through: the connection is idle

    async def fetch(self, statement: Statement, values: Mapping[str, Any] = NO_VALUES) -> list[Row]:
        compiled = statement.on(self.database.dialect)
        arguments = compiled.arguments(values)
        started = self.database.starting(compiled.sql, arguments)
        rows = await self._fetch(compiled, arguments)
        self.database.finished(compiled.sql, started)
        return [compiled.row(row) for row in rows]

    async def fetch_one(self, statement: Statement, values: Mapping[str, Any] = NO_VALUES) -> Row | None:
        rows = await self.fetch(statement, values)
        return rows[0] if rows else None

    async def execute(self, statement: Statement, values: Mapping[str, Any] = NO_VALUES) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        compiled = statement.on(self.database.dialect)
        arguments = compiled.arguments(values)
        started = self.database.starting(compiled.sql, arguments)
        changed = await self._execute(compiled, arguments)
        self.database.finished(compiled.sql, started)
        return changed

    async def write(self, statement: Statement, values: Mapping[str, Any] = NO_VALUES) -> None:
        """Run a statement that changes rows and whose answer nobody waits for (an INSERT): sent at
        the latest with the COMMIT, so its errors may surface only then (see SqliteTransaction)."""
        await self.execute(statement, values)

    async def commit(self) -> None:
        if self.open:
            self.open = False
            await self._end("COMMIT")
            self.settled = True

    async def rollback(self) -> None:
        if self.open:
            self.open = False
            await self._end("ROLLBACK")
            self.settled = True

    @abstractmethod
    async def _fetch(self, compiled: Compiled, arguments: Sequence[Any]) -> Sequence[Sequence[Any]]: ...

    @abstractmethod
    async def _execute(self, compiled: Compiled, arguments: Sequence[Any]) -> int: ...

    @abstractmethod
    async def _end(self, verb: str) -> None: ...


class Database(ABC, Generic[C]):
    """Where units of work get their transactions: `begin` opens one (retrying connection failures
    within the policy's deadline), `end` always closes it, even while the request is being
    cancelled, so nothing is left checked out or idle in transaction."""

    dialect: Dialect
    # Whether a new task's or list's INSERT logs it in the change log itself (changes.py).
    inserts_log_themselves = True
    # Whether a transaction-mode pooler sits in front: then no statement stays prepared.
    pooled = False

    def __init__(self, policy: TransactionPolicy, *, slow_statement_ms: float | None = None) -> None:
        self.policy = policy
        self.listeners: list[StatementListener] = []
        # Told the owner of each unit of work that committed here (live streams wake on it).
        self.commit_listeners: list[Callable[[str], None]] = []
        self.checked_out = 0  # transactions begun and not yet ended
        self._slow_seconds = None if slow_statement_ms is None else slow_statement_ms / 1000

    @property
    def name(self) -> str:
        return str(self.dialect.name)

    async def begin(self, owner_id: str | None) -> Transaction[C]:
        """A new transaction; on PostgreSQL, scoped to `owner_id` for row-level security (no owner:
        an empty one, which matches no row).

        Connection failures are tried again with backoff, all attempts within the policy's deadline,
        however slowly each one fails: Neon computes waking up, restarts, and connections that died
        in the pool all land here, before anything of the unit of work has happened.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.begin_deadline_seconds
        attempts = self.policy.connect_attempts
        for attempt in range(1, attempts + 1):
            try:
                return await self._begin(owner_id or "", deadline)
            except Exception as error:
                unavailable = self.is_unavailable(error)
                if unavailable:
                    self._connection_failed()
                if not unavailable or attempt == attempts or loop.time() >= deadline:
                    failure = self.translated(error)
                    if failure is error:
                        raise
                    raise failure from error
                log.warning("database connection failed (attempt %d): %s", attempt, type(error).__name__)
                backoff = self.policy.connect_backoff_seconds * 2 ** (attempt - 1)
                await asyncio.sleep(min(backoff, max(0.0, deadline - loop.time())))
        raise AssertionError("unreachable")

    # --- What the driver's failures mean to the application ---

    def is_unavailable(self, error: BaseException) -> bool:
        """The database could not be reached, or the connection died: nothing of the transaction
        was kept. A certificate that fails verification is the configuration's fault, not a
        passing failure."""
        if isinstance(error, ssl.SSLCertVerificationError):
            return False
        return isinstance(error, OSError | TimeoutError)

    def conflict(self, error: BaseException) -> str | None:
        """What made a transaction fail that the same work may pass when run again (a
        serialization failure, a deadlock, a busy database), or None."""
        return None

    def is_unique_violation(self, error: BaseException) -> bool:
        """A write failed on a unique key: the row is there already."""
        return False

    def translated(self, error: BaseException) -> BaseException:
        """The application's word for a database failure, or the failure itself when it has none."""
        conflict = self.conflict(error)
        if conflict is not None:
            return TransientConflict(conflict)
        if self.is_unavailable(error):
            return DatabaseUnavailable(type(error).__name__)
        return error

    def committed(self, owner_id: str) -> None:
        for listener in self.commit_listeners:
            listener(owner_id)

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

    def _connection_failed(self) -> None:
        """A connection turned out dead: its siblings likely died with it."""

    @abstractmethod
    async def _begin(self, owner_id: str, deadline: float) -> Transaction[C]:
        """One attempt at a transaction, by the event loop's `deadline`."""

    @abstractmethod
    async def end(self, transaction: Transaction[C]) -> None:
        """Roll back whatever is still open and give the connection back, whatever happens meanwhile."""

    @abstractmethod
    async def ping(self) -> None:
        """Run a trivial query; raise when the database does not answer."""

    @abstractmethod
    async def close(self) -> None: ...
