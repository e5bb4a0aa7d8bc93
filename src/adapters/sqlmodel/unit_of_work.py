"""A unit of work over one AsyncSession, scoped to one owner."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sqlmodel.repository import SqlTaskRepository
from application.ports import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, owner_id: str, *, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._owner_id = owner_id
        self._session_factory = session_factory

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self.tasks = SqlTaskRepository(self._owner_id, self._session)
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
