"""The accounts repository over SQL."""

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update

from adapters.sqlmodel.database import Transaction
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.tables import users_table
from application.ports import UserRepository
from domain.user import User, email_key

_u = users_table.c
_SELECT = select(_u.id, _u.email, _u.name, _u.password_hash, _u.created_at)
_INSERT = Statement(insert(users_table))
_BY_ID = Statement(_SELECT.where(_u.id == bindparam("user_id")))
_BY_EMAIL = Statement(_SELECT.where(_u.email_key == bindparam("wanted")))
_REHASH = Statement(
    update(users_table).where(_u.id == bindparam("user_id")).values(password_hash=bindparam("new_hash"))
)


class SqlUserRepository(UserRepository):
    def __init__(self, transaction: Transaction[Any]) -> None:
        self._transaction = transaction

    async def add(self, user: User) -> bool:
        row = {
            "id": user.id,
            "email": user.email,
            "email_key": user.email_key,
            "name": user.name,
            "password_hash": user.password_hash,
            "created_at": user.created_at,
        }
        # Look first, so the usual refusal leaves the transaction usable. The unique key still
        # settles a race, failing the insert (and with it this unit of work).
        if await self.get_by_email(user.email) is not None:
            return False
        try:
            await self._transaction.execute(_INSERT, row)
        except Exception as error:
            if self._transaction.database.is_unique_violation(error):
                return False
            raise
        return True

    async def get(self, user_id: str) -> User | None:
        try:
            key = UUID(user_id)
        except ValueError:
            return None  # an external identity's subject: no local account has it
        return await self._one(_BY_ID, {"user_id": key})

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(_BY_EMAIL, {"wanted": email_key(email)})

    async def replace_password_hash(self, user_id: UUID, password_hash: str) -> None:
        await self._transaction.execute(_REHASH, {"user_id": user_id, "new_hash": password_hash})

    async def _one(self, statement: Statement, values: dict[str, Any]) -> User | None:
        row = await self._transaction.fetch_one(statement, values)
        if row is None:
            return None
        return User(
            id=row["id"],
            email=row["email"],
            name=row["name"],
            password_hash=row["password_hash"],
            created_at=row["created_at"],
        )
