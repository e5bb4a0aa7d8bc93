"""Units of work over one database transaction: the owner-scoped tasks one, and the accounts one."""

from __future__ import annotations

from typing import Any, Self

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from adapters.sqlmodel.changes import SqlChangeLog
from adapters.sqlmodel.database import Database, Transaction
from adapters.sqlmodel.idempotency import SqlIdempotencyKeys
from adapters.sqlmodel.lists import SqlListRepository
from adapters.sqlmodel.repository import SqlTaskRepository
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.users import SqlUserRepository
from application.ports import AbstractUnitOfWork, AccountsUnitOfWork, UnitOfWork


def _hold(dialect: Dialect) -> ClauseElement:
    """PostgreSQL: a lock on the key's hash until the transaction ends (a transaction-level advisory
    lock, which a transaction-mode pooler keeps with its transaction). SQLite: the process's write
    lock, taken now (a read that locks is served as a write: sqlite.py), which every writer waits
    for; other processes wait for BEGIN IMMEDIATE."""
    if dialect.name == "postgresql":
        return select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key"), 0)))
    return select(literal_column("1")).with_for_update()


_HOLD = Statement(_hold)


class _TransactionUnitOfWork(AbstractUnitOfWork):
    """Opens the transaction on entry, hands it to the repositories, turns database failures into the
    application's words, and always gives the connection back."""

    owner_id: str | None = None  # whose rows the transaction may reach (row-level security)

    def __init__(self, *, database: Database[Any]) -> None:
        self._database = database

    def _bind(self, transaction: Transaction[Any]) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        self._transaction = await self._database.begin(self.owner_id)
        self._bind(self._transaction)
        return self

    async def _end(self, exc: BaseException | None) -> None:
        try:
            if exc is None:
                await self.rollback()  # nothing when the use case committed
        except Exception as error:
            failure = self._database.translated(error)
            if failure is error:
                raise
            raise failure from error
        finally:
            # After an error or a cancellation this rolls back, shielded from further cancellation.
            await self._database.end(self._transaction)
        if exc is not None and (failure := self._database.translated(exc)) is not exc:
            raise failure from exc

    async def commit(self) -> None:
        await self._transaction.commit()
        if self.owner_id:
            self._database.committed(self.owner_id)

    async def rollback(self) -> None:
        await self._transaction.rollback()


class SqlUnitOfWork(_TransactionUnitOfWork, UnitOfWork):
    def __init__(self, owner_id: str, *, database: Database[Any]) -> None:
        super().__init__(database=database)
        self.owner_id: str = owner_id

    async def hold(self, topic: str) -> None:
        # The topic first: an owner id may hold any character, so nothing after it can be mistaken.
        await self._transaction.fetch(_HOLD, {"key": f"{topic}:{self.owner_id}"})

    def _bind(self, transaction: Transaction[Any]) -> None:
        self.tasks = SqlTaskRepository(self.owner_id, transaction)
        self.lists = SqlListRepository(self.owner_id, transaction)
        self.idempotency_keys = SqlIdempotencyKeys(self.owner_id, transaction)
        self.changes = SqlChangeLog(self.owner_id, transaction)


class SqlAccountsUnitOfWork(_TransactionUnitOfWork, AccountsUnitOfWork):
    def _bind(self, transaction: Transaction[Any]) -> None:
        self.users = SqlUserRepository(transaction)


class UnscopedWork(_TransactionUnitOfWork):
    """A transaction for no owner, for adapters whose rows are nobody's (rate limits) or everyone's
    expired ones (the purge): on PostgreSQL, the owner policies show it no row."""

    transaction: Transaction[Any]

    def _bind(self, transaction: Transaction[Any]) -> None:
        self.transaction = transaction
