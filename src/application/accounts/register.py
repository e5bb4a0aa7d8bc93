"""Open a local account."""

from dataclasses import dataclass

from application.identity import AccountsUnitOfWorkFactory, PasswordHasher
from application.ports import Clock, IdGenerator
from application.retry import retry_transient
from domain.errors import EmailTaken
from domain.user import User, check_password, normalise_email, normalise_name


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    email: str
    password: str
    name: str | None = None


class Register:
    def __init__(
        self, uow: AccountsUnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, ids: IdGenerator
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._ids = ids

    @retry_transient
    async def __call__(self, registration: Registration) -> User:
        # Every rule is checked before the (deliberately slow) hash is computed.
        email, name = normalise_email(registration.email), normalise_name(registration.name)
        check_password(registration.password)
        password_hash = await self._hasher.hash(registration.password)
        user = User.register(
            id=self._ids.new_id(), email=email, name=name, password_hash=password_hash, now=self._clock.now()
        )
        async with self._uow() as uow:
            if not await uow.users.add(user):
                raise EmailTaken(email)
            await uow.commit()
        return user
