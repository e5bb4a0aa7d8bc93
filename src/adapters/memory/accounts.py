"""In-memory accounts with the same contract as the SQL ones."""

from __future__ import annotations

import copy
from uuid import UUID

from application.ports import AccountsUnitOfWork, UserRepository
from domain.user import User, email_key


class InMemoryAccounts:
    """Committed accounts by id, shared by every unit of work made over it."""

    def __init__(self) -> None:
        self.users: dict[UUID, User] = {}


class InMemoryUserRepository(UserRepository):
    def __init__(self, accounts: InMemoryAccounts) -> None:
        self._accounts = accounts
        self.staged: list[User] = []
        self.rehashed: dict[UUID, str] = {}

    async def add(self, user: User) -> bool:
        if await self.get_by_email(user.email) is not None:
            return False
        self.staged.append(copy.copy(user))
        return True

    async def get(self, user_id: str) -> User | None:
        found = [user for user in self._visible() if str(user.id) == user_id]
        return copy.copy(found[0]) if found else None

    async def get_by_email(self, email: str) -> User | None:
        found = [user for user in self._visible() if user.email_key == email_key(email)]
        return copy.copy(found[0]) if found else None

    async def replace_password_hash(self, user_id: UUID, password_hash: str) -> None:
        self.rehashed[user_id] = password_hash

    def _visible(self) -> list[User]:
        return [*self._accounts.users.values(), *self.staged]


class InMemoryAccountsUnitOfWork(AccountsUnitOfWork):
    def __init__(self, accounts: InMemoryAccounts) -> None:
        self._accounts = accounts
        self.users = self._repository = InMemoryUserRepository(accounts)
        self.committed = False

    async def commit(self) -> None:
        for user in self._repository.staged:
            self._accounts.users[user.id] = user
        for user_id, password_hash in self._repository.rehashed.items():
            if user_id in self._accounts.users:
                self._accounts.users[user_id].password_hash = password_hash
        self._repository.staged.clear()
        self._repository.rehashed.clear()
        self.committed = True

    async def rollback(self) -> None:
        self._repository.staged.clear()
        self._repository.rehashed.clear()
