"""Exchange an email and a password for a bearer token."""

from application.identity import IssuedToken
from application.limits import AttemptLimits
from application.ports import AccountsUnitOfWorkFactory, PasswordHasher, TokenIssuer
from domain.errors import InvalidCredentials, InvalidUser
from domain.user import normalise_email


class LogIn:
    def __init__(
        self,
        uow: AccountsUnitOfWorkFactory,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        limits: AttemptLimits,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._tokens = tokens
        self._limits = limits

    async def __call__(self, email: str, password: str, *, address: str | None = None) -> IssuedToken:
        """A token for the account; `address` is the client's, which the attempt counts against
        (with the email), before any password work."""
        await self._limits.check("login", address=address, account=email)
        user = None
        if _could_be_an_account(email):
            async with self._uow() as uow:
                user = await uow.users.get_by_email(email)
        # An unknown email still pays for a hash check, so timing does not tell which accounts exist.
        known_hash = None if user is None else user.password_hash
        matches, rehashed = await self._hasher.verify_and_update(password, known_hash)
        if user is None or not matches:
            raise InvalidCredentials
        if rehashed is not None:  # made with older parameters: keep today's from now on
            async with self._uow() as uow:
                await uow.users.replace_password_hash(user.id, rehashed)
                await uow.commit()
        return self._tokens.issue(str(user.id))


def _could_be_an_account(email: str) -> bool:
    """No account has this address (NUL, too long, not an address): skip the lookup, not the hash check."""
    try:
        normalise_email(email)
    except InvalidUser:
        return False
    return True
