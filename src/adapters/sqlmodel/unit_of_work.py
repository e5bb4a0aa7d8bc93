"""Units of work over one AsyncSession: the owner-scoped tasks one, and the accounts one."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sqlmodel.repository import SqlTaskRepository
from adapters.sqlmodel.users import SqlUserRepository
from application.identity import AccountsUnitOfWork
from application.ports import AbstractUnitOfWork, UnitOfWork


class _SessionUnitOfWork(AbstractUnitOfWork):
    """Opens a session on entry, hands it to the repositories, and always closes it."""

    def __init__(self, *, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    def _bind(self, session: AsyncSession) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
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
            await self._session.close()

    async def commit(self) -> None:
        await self._session.commit()

    async def rollback(self) -> None:
        await self._session.rollback()


class SqlUnitOfWork(_SessionUnitOfWork, UnitOfWork):
    def __init__(self, owner_id: str, *, session_factory: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(session_factory=session_factory)
        self._owner_id = owner_id

    def _bind(self, session: AsyncSession) -> None:
        self.tasks = SqlTaskRepository(self._owner_id, session)


class SqlAccountsUnitOfWork(_SessionUnitOfWork, AccountsUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.users = SqlUserRepository(session)
