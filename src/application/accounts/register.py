"""Open a local account."""

from dataclasses import dataclass

from application.limits import AttemptLimits
from application.ports import AccountsUnitOfWorkFactory, Clock, IdGenerator, PasswordHasher
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
        self,
        uow: AccountsUnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Clock,
        ids: IdGenerator,
        limits: AttemptLimits,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._ids = ids
        self._limits = limits

    async def __call__(self, registration: Registration, *, address: str | None = None) -> User:
        """The new account; `address` is the client's, which the attempt counts against (with the
        email), once it is a valid request and before the password is hashed."""
        # Every rule is checked before the (deliberately slow) hash is computed.
        email, name = normalise_email(registration.email), normalise_name(registration.name)
        check_password(registration.password)
        await self._limits.check("register", address=address, account=email)
        return await self._register(registration, email, name)

    @retry_transient
    async def _register(self, registration: Registration, email: str, name: str | None) -> User:
        password_hash = await self._hasher.hash(registration.password)
        user = User.register(
            id=self._ids.new_id(), email=email, name=name, password_hash=password_hash, now=self._clock.now()
        )
        async with self._uow() as uow:
            if not await uow.users.add(user):
                raise EmailTaken(email)
            await uow.commit()
        return user
