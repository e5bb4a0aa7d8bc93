"""Units of work over one AsyncSession: the owner-scoped tasks one, and the accounts one."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sqlmodel.idempotency import SqlIdempotencyKeys
from adapters.sqlmodel.repository import SqlTaskRepository
from adapters.sqlmodel.transactions import TransactionPolicy, begin, translated
from adapters.sqlmodel.users import SqlUserRepository
from application.identity import AccountsUnitOfWork
from application.ports import AbstractUnitOfWork, UnitOfWork


class _SessionUnitOfWork(AbstractUnitOfWork):
    """Opens a session and its transaction on entry, hands the session to the repositories,
    turns database failures into the application's words, and always closes the session."""

    _owner_id: str | None = None

    def __init__(
        self, *, session_factory: async_sessionmaker[AsyncSession], policy: TransactionPolicy | None = None
    ) -> None:
        self._session_factory = session_factory
        self._policy = policy or TransactionPolicy()

    def _bind(self, session: AsyncSession) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        try:
            await begin(self._session, self._owner_id, self._policy)
        except BaseException:
            await _close(self._session)
            raise
        self._bind(self._session)
        return await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, traceback)
        finally:
            await _close(self._session)
        if exc is not None and translated(exc) is not exc:
            raise translated(exc) from exc

    async def commit(self) -> None:
        await self._session.commit()

    async def rollback(self) -> None:
        await self._session.rollback()


class SqlUnitOfWork(_SessionUnitOfWork, UnitOfWork):
    def __init__(
        self,
        owner_id: str,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        policy: TransactionPolicy | None = None,
    ) -> None:
        super().__init__(session_factory=session_factory, policy=policy)
        self._owner_id = self._owner = owner_id

    def _bind(self, session: AsyncSession) -> None:
        self.tasks = SqlTaskRepository(self._owner, session)
        self.idempotency_keys = SqlIdempotencyKeys(self._owner, session)


class SqlAccountsUnitOfWork(_SessionUnitOfWork, AccountsUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.users = SqlUserRepository(session)


async def _close(session: AsyncSession) -> None:
    """Close even when the request is being cancelled: an abandoned close would leave the
    connection checked out, or idle in transaction on the server."""
    await asyncio.shield(session.close())
