"""The accounts repository over SQL."""

from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqlmodel.mappers import utc
from adapters.sqlmodel.tables import users_table
from application.identity import UserRepository
from domain.user import User, email_key

_u = users_table.c
_SELECT = select(_u.id, _u.email, _u.name, _u.password_hash, _u.created_at)


class SqlUserRepository(UserRepository):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> bool:
        row = {
            "id": user.id,
            "email": user.email,
            "email_key": user.email_key,
            "name": user.name,
            "password_hash": user.password_hash,
            "created_at": user.created_at,
        }
        # Look first, so the usual refusal leaves the transaction usable. No savepoint: under
        # pysqlite's transaction handling a SAVEPOINT can open, and its RELEASE commit, the whole
        # transaction. The unique key still settles a race, failing the insert.
        if await self.get_by_email(user.email) is not None:
            return False
        try:
            await self._session.execute(insert(users_table), row)
        except IntegrityError:
            return False
        return True

    async def get(self, user_id: str) -> User | None:
        try:
            key = UUID(user_id)
        except ValueError:
            return None  # an external identity's subject: no local account has it
        return await self._one(_SELECT.where(_u.id == key))

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(_SELECT.where(_u.email_key == email_key(email)))

    async def _one(self, statement: Any) -> User | None:
        row = (await self._session.execute(statement)).mappings().one_or_none()
        if row is None:
            return None
        return User(
            id=row["id"],
            email=row["email"],
            name=row["name"],
            password_hash=row["password_hash"],
            created_at=utc(row["created_at"]),
        )
