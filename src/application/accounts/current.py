"""Who the caller is: their local account, or what their (external) token's claims say."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.identity import Principal
from application.ports import AccountsUnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    email: str | None
    name: str | None
    created_at: datetime | None


class CurrentUser:
    def __init__(self, uow: AccountsUnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, principal: Principal) -> Profile:
        user = None
        if principal.local and _canonical_uuid(principal.subject):
            async with self._uow() as uow:
                user = await uow.users.get(principal.subject)
        if user is None:
            return Profile(id=principal.subject, email=principal.email, name=principal.name, created_at=None)
        return Profile(id=str(user.id), email=user.email, name=user.name, created_at=user.created_at)


def _canonical_uuid(subject: str) -> bool:
    """Account ids are written in UUID's canonical form; any other spelling owns other tasks."""
    try:
        return str(UUID(subject)) == subject
    except ValueError:
        return False
